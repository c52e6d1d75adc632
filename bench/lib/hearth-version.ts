/**
 * Which Hearth the benchmark runs. By default the working tree; with `--hearth <git ref>` a
 * snapshot of that commit (git archive into <tmpdir>/hearth-bench-snapshots/<sha>/, sharing
 * node_modules, the built native extension and .venv through symlinks), so a benchmark can run
 * while the working tree is in the middle of an edit. The snapshot lives outside the checkout so
 * that lint, format and typecheck never see a second copy of the sources. Servers are then started through the snapshot's own
 * test/interop/servers.ts, whose project root is the snapshot.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import * as worktreeServers from '../../test/interop/servers.ts';
import { PROJECT_ROOT } from './bench-collections.ts';
import { buildServer } from './built-server.ts';

/** Longest exporting a commit may take. */
const SNAPSHOT_TIMEOUT_MS = 60_000;

export type ServersModule = typeof worktreeServers;

export interface HearthVersion {
  /** Human description for the report. */
  readonly label: string;
  readonly servers: ServersModule;
  /**
   * Whether Hearth runs as built (`dist/headless/cli.js`, npm run build), as the app ships it: the
   * working tree does, built at the start of the run; a snapshot of an older commit runs its
   * sources, since commits before the memory work had no built headless server.
   */
  readonly built: boolean;
}

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: SNAPSHOT_TIMEOUT_MS }).trim();
}

export async function hearthVersion(ref: string | undefined): Promise<HearthVersion> {
  const head = git(['rev-parse', '--short=12', 'HEAD']);
  if (ref === undefined || ref === 'worktree') {
    const dirty = git(['status', '--porcelain', '--', 'src']) !== '';
    buildServer(PROJECT_ROOT, (line) => process.stderr.write(`${line}\n`));
    return {
      label: `working tree (HEAD ${head}${dirty ? ' + uncommitted changes in src/' : ''}), built server`,
      servers: worktreeServers,
      built: true,
    };
  }
  const sha = git(['rev-parse', '--verify', `${ref}^{commit}`]);
  const root = path.join(tmpdir(), 'hearth-bench-snapshots', sha.slice(0, 12));
  if (!existsSync(path.join(root, '.complete'))) {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    execFileSync('bash', ['-c', `git archive ${sha} | tar -x -C "${root}"`], { cwd: PROJECT_ROOT, timeout: SNAPSHOT_TIMEOUT_MS });
    for (const shared of ['node_modules', '.venv', path.join('native', 'build')]) {
      mkdirSync(path.dirname(path.join(root, shared)), { recursive: true });
      symlinkSync(path.join(PROJECT_ROOT, shared), path.join(root, shared));
    }
    writeFileSync(path.join(root, '.complete'), `${sha}\n`);
  }
  const servers = (await import(pathToFileURL(path.join(root, 'test', 'interop', 'servers.ts')).href)) as ServersModule;
  return { label: `commit ${sha.slice(0, 12)} (\`--hearth ${ref}\`), from its sources`, servers, built: false };
}
