// Lint: typescript-eslint's recommended rules, plus the boundary bans of STYLE.md: the server, src/host
// and the shared contracts never import Electron, the renderer never imports Node or Electron
// (it talks only to the typed API), and the main process never imports the renderer's code.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const noElectron = { name: 'electron', message: 'src/server, src/host and src/shared must not depend on Electron.' };
const noNode = {
  group: ['node:*', ...builtinModules.filter((m) => !m.startsWith('_'))],
  message: 'This code runs in every process (or in the page); no Node imports.',
};

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', '.venv/', 'dist/', 'release/', 'native/build/', 'src/server/collection/proto/gen/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['src/server/**/*.ts'], rules: { 'no-restricted-imports': ['error', { paths: [noElectron] }] } },
  // src/host: what the desktop app and the headless server share (Node only, never Electron or the app's main process).
  {
    files: ['src/host/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [
            { group: ['**/main/**', '**/renderer/**', '**/preload/**'], message: 'src/host is shared by the app and the headless server.' },
          ],
        },
      ],
    },
  },
  { files: ['src/shared/**/*.ts'], rules: { 'no-restricted-imports': ['error', { paths: [noElectron], patterns: [noNode] }] } },
  {
    files: ['src/renderer/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer talks to Hearth only through the HearthApi (src/shared/api.ts).' }],
          patterns: [
            { ...noNode, message: 'The renderer runs in a sandboxed page; no Node imports.' },
            { group: ['**/main/**', '**/server/**', '**/preload/**'], message: 'The renderer may import only src/shared and itself.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/main/**/*.ts', 'src/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/renderer/**'], message: 'The main process and the preload must not import the renderer.' }] },
      ],
    },
  },
);
