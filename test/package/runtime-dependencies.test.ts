// Every package that the app's compiled code (dist/, made from the folders in
// tsconfig.build.json) loads at run time must be in package.json's `dependencies`: an installer
// carries those and nothing else (electron-builder leaves devDependencies out), so a runtime
// import of a devDependency starts in the repository and fails in the installed app.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Packages the app gets from its host, not from node_modules. */
const PROVIDED = new Set(['electron', ...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** The package a bare specifier names: `@scope/name/sub` → `@scope/name`; undefined for a relative path. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * The module specifiers a file loads when it runs: import and export declarations that are not
 * type-only, `import()` and `require()` calls with a literal.
 */
export function runtimeSpecifiers(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const onlyTypes =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            named !== undefined &&
            ts.isNamedImports(named) &&
            named.elements.length > 0 &&
            named.elements.every((e) => e.isTypeOnly)));
      if (!onlyTypes) found.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier) && !node.isTypeOnly) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteral(node.arguments[0]!)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require'))
        found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The files tsconfig.build.json compiles into dist/. */
function compiledSources(): string[] {
  const configPath = join(ROOT, 'tsconfig.build.json');
  const config = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  return ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT, undefined, configPath).fileNames;
}

test('finds runtime imports and skips type-only ones', () => {
  const text = [
    "import a from 'pkg-a';",
    "import type { B } from 'pkg-b';",
    "import { type C } from 'pkg-c';",
    "import { type D, e } from '@scope/pkg-d/sub';",
    "export { f } from 'pkg-f';",
    "export type { G } from 'pkg-g';",
    "const h = await import('pkg-h');",
    "import './local.ts';",
  ].join('\n');
  const found = runtimeSpecifiers('x.ts', text);
  assert.deepEqual(found, ['pkg-a', '@scope/pkg-d/sub', 'pkg-f', 'pkg-h', './local.ts']);
  assert.deepEqual(found.map(packageOf), ['pkg-a', '@scope/pkg-d', 'pkg-f', 'pkg-h', undefined]);
});

test('every package the app’s compiled code loads at run time is a dependency (not a devDependency)', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const dependencies = new Set(Object.keys(manifest.dependencies));
  const wrong: string[] = [];
  const used = new Set<string>();
  const files = compiledSources();
  assert.ok(
    files.some((f) => f.endsWith(join('src', 'main', 'index.ts'))),
    'the main process is among the compiled files',
  );
  for (const file of files) {
    for (const specifier of runtimeSpecifiers(file, readFileSync(file, 'utf8'))) {
      const name = packageOf(specifier);
      if (name === undefined || PROVIDED.has(name) || PROVIDED.has(specifier)) continue;
      used.add(name);
      if (!dependencies.has(name)) wrong.push(`${relative(ROOT, file)} loads ${specifier}, which is not in "dependencies"`);
    }
  }
  assert.deepEqual(wrong, []);
  // The ones the app cannot start without are among them (so the scan did see the imports).
  for (const name of ['better-sqlite3', '@node-rs/argon2', 'electron-store']) assert.ok(used.has(name), `${name} is loaded`);
});
