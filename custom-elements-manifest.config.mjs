/** `npm run analyze` writes custom-elements.json from the elements' JSDoc and Lit decorators. */
export default {
  globs: ['src/**/*.ts'],
  exclude: ['src/**/*.styles.ts'],
  outdir: '.',
  litelement: true,
  // package.json names the manifest already; a check run into another folder must not rewrite it.
  packagejson: false,
  plugins: [
    {
      name: 'stable-module-order',
      // The analyzer lists modules in the order files were read, which varies between runs.
      packageLinkPhase({ customElementsManifest }) {
        customElementsManifest.modules.sort((a, b) => a.path.localeCompare(b.path));
      },
    },
    {
      name: 'definition-paths',
      // A definition names its class's module as define.ts imports it ("/src/x/x.js"); tools find the class by the
      // module's own path ("src/x/x.ts").
      packageLinkPhase({ customElementsManifest }) {
        for (const module of customElementsManifest.modules)
          for (const exported of module.exports ?? [])
            if (exported.kind === 'custom-element-definition' && exported.declaration.module)
              exported.declaration.module = exported.declaration.module
                .replace(/^\//, '')
                .replace(/\.js$/, '.ts');
      },
    },
  ],
};
