// Lint: typescript-eslint's recommended rules, plus the layers of the house (src/README.md):
//
//   shared ← server ← host ← main, headless        renderer → shared only
//
// src/shared holds the contracts every process imports (no Node, no Electron, nothing above it);
// src/server is the sync server library: it imports only itself and shared, and the hosts reach
// it only through src/server/index.ts, its whole public surface; src/host is what both hosts
// share; src/main (Electron) and src/headless (Node) are the two hosts and never import each
// other; the renderer talks to Hearth only through the typed API. No import circles in src.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

const noElectron = { name: 'electron', message: 'Only src/main may depend on Electron.' };
const noNode = {
  group: ['node:*', ...builtinModules.filter((m) => !m.startsWith('_'))],
  message: 'This code runs in every process (or in the page); no Node imports.',
};
const above = (...folders) => ({
  group: folders.map((f) => `**/${f}/**`),
  message: `A layer imports only the layers below it (see eslint.config.js): not ${folders.join(', ')}.`,
});
const serverSurface = {
  group: ['**/server/**', '!**/server/index.ts'],
  message: 'Import the sync server only through src/server/index.ts, its public surface.',
};
// Values from node:http come from src/server/util/node-http.ts (why: there).
const noHttpValues = {
  name: 'node:http',
  allowTypeImports: true,
  message:
    'Take createServer or STATUS_CODES from src/server/util/node-http.ts (through src/server/index.ts outside the server): importing node:http loads undici.',
};
const restrict = (files, paths, patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { paths, patterns }] } });

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', '.venv/', '.venv-*/', 'dist/', 'release/', 'native/build/', 'src/server/collection/proto/gen/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  restrict(['src/shared/**/*.ts'], [noElectron], [noNode, above('server', 'host', 'main', 'headless', 'renderer', 'preload')]),
  restrict(['src/server/**/*.ts'], [noElectron, noHttpValues], [above('host', 'main', 'headless', 'renderer', 'preload')]),
  restrict(['src/host/**/*.ts'], [noElectron, noHttpValues], [above('main', 'headless', 'renderer', 'preload'), serverSurface]),
  restrict(['src/headless/**/*.ts'], [noElectron, noHttpValues], [above('main', 'renderer', 'preload'), serverSurface]),
  restrict(['src/main/**/*.ts'], [], [above('headless', 'renderer'), serverSurface]),
  restrict(['src/preload/**/*.ts'], [], [above('server', 'host', 'main', 'headless', 'renderer')]),
  restrict(
    ['src/renderer/**/*.ts'],
    [{ name: 'electron', message: 'The renderer talks to Hearth only through the HearthApi (src/shared/api.ts).' }],
    [
      { ...noNode, message: 'The renderer runs in a sandboxed page; no Node imports.' },
      {
        group: ['**/main/**', '**/server/**', '**/host/**', '**/headless/**', '**/preload/**'],
        message: 'The renderer may import only src/shared and itself.',
      },
    ],
  ),
  // No import circles: a module and what it imports form a tree, so each can be read (and
  // tested) from the bottom up. Type-only imports count too: a circle of types is a circle of ideas.
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js'] })],
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
);
