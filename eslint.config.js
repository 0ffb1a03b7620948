import js from '@eslint/js';
import lit from 'eslint-plugin-lit';
import wc from 'eslint-plugin-wc';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'storybook-static/', 'coverage/', 'custom-elements.json', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    files: ['src/**/*.ts', 'stories/**/*.ts', 'test/**/*.ts', 'demo/**/*.ts', 'bench/**/*.ts'],
    ...lit.configs['flat/recommended'],
    ...wc.configs['flat/recommended'],
    plugins: { ...lit.configs['flat/recommended'].plugins, ...wc.configs['flat/recommended'].plugins },
    rules: {
      ...lit.configs['flat/recommended'].rules,
      ...wc.configs['flat/recommended'].rules,
    },
    languageOptions: { globals: globals.browser },
  },
  {
    files: [
      '*.js',
      '*.mjs',
      '*.ts',
      'scripts/**',
      'server/**',
      '.storybook/**',
      'test/relay/**',
      'test/node/**',
      'test/e2e/**',
      'test/support/*.js',
      'bench/*.js',
    ],
    languageOptions: { globals: globals.node },
  },
  {
    // Tests, stories and the demo state what they expect to exist; a wrong guess fails loudly, which is the point.
    // Chai's property assertions (`expect(x).to.exist`) are expressions.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'stories/**/*.ts', 'demo/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Element constructors register controllers whose instances the controller host keeps.
      'no-new': 'off',
    },
  },
);
