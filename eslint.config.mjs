// ESLint flat config: typescript-eslint's recommended rules, plus the architectural boundaries the
// README's Layout section describes: src/core is editor-free (the command line tool and unit tests
// share it), and a feature folder never reaches into another feature's modules.
import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Editor glue that several features use: services built once in features.ts and handed in. Any
 * other folder under src/ (but core and the panel's browser half, webview) is a feature, so a new
 * feature folder is fenced in without touching this file.
 */
const sharedFolders = ['api', 'apiKey', 'config', 'jobs', 'models', 'pricing', 'spend', 'variables'];
const featureFolders = readdirSync(new URL('./src', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !['core', 'webview', ...sharedFolders].includes(entry.name))
  .map((entry) => entry.name);

/** A feature may not import another feature (or the webview bundle); `import type` of its public class is allowed. */
const featureBoundary = (feature) => ({
  files: [`src/${feature}/**/*.ts`],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: `^(\\.\\./)+(${[...featureFolders.filter((other) => other !== feature), 'webview'].join('|')})/`,
            allowTypeImports: true,
            message: `src/${feature} is a feature: it must not use another feature's modules. Move what both need to a shared folder (${sharedFolders.join(', ')}) or to src/core, or receive it from features.ts.`,
          },
        ],
      },
    ],
  },
});

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
  ...featureFolders.map(featureBoundary),
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly', URL: 'readonly' } },
  },
);
