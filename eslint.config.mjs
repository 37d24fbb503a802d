// ESLint flat config: typescript-eslint's recommended rules, plus the one architectural rule that
// keeps src/core editor-free so the command line tool and unit tests can share it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', '*.vsix'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'src/core is editor-free: pass what it needs in from the feature module.' }],
          // core owns the types it produces; src/protocol.ts and the panel import them, never the reverse.
          patterns: [{ regex: '(^|/)(protocol|panel|webview)(/|$)', message: 'src/core never imports the protocol, the panel or the webview: move the type into core and import it from there.' }],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
  },
);
