// Lint: typescript-eslint's recommended rules, plus the boundary bans of STYLE.md: the server
// and the shared contracts never import Electron, and the renderer never imports Node or Electron.
import tseslint from 'typescript-eslint';

const noElectron = {
  paths: [{ name: 'electron', message: 'src/server and src/shared must not depend on Electron.' }],
};

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', '.venv/', 'dist/', 'native/build/', 'src/server/collection/proto/gen/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['src/server/**/*.ts'], rules: { 'no-restricted-imports': ['error', noElectron] } },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { ...noElectron, patterns: [{ group: ['node:*'], message: 'src/shared runs in every process; no Node imports.' }] },
      ],
    },
  },
);
