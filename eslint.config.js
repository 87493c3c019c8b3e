// One strict toolchain: type-aware lint (no floating promises, exhaustive switches) before typecheck and tests.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'dist/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
      // Errors are logged as objects so pino's serializer keeps their type and stack (issue 13).
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "CallExpression[callee.property.name=/^(trace|debug|info|warn|error|fatal)$/] > ObjectExpression > Property[key.name='err'] > MemberExpression[property.name='message']",
          message: 'Log the error itself ({ err }), not err.message: the stack is lost otherwise.',
        },
        {
          selector:
            "CallExpression[callee.property.name=/^(trace|debug|info|warn|error|fatal)$/] > ObjectExpression > Property[key.name='err'] > TSAsExpression",
          message: 'Log the error itself ({ err }), not a cast of it.',
        },
      ],
    },
  },
  {
    files: ['tests/**', 'simulators/**', 'bench/**', 'services/cli/**', 'services/main.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['tests/**'],
    rules: {
      // Playwright evaluates a waitForFunction predicate with eval in the page, which the dashboard's CSP refuses.
      'no-restricted-properties': [
        'error',
        { property: 'waitForFunction', message: 'Use waitInPage from tests/helpers/browser.ts: the dashboard CSP refuses eval.' },
      ],
    },
  },
);
