import { defineConfig } from 'vite';

/** The library build: ES modules for `index` (no side effects) and `define` (registers the elements). */
export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    minify: false,
    lib: {
      entry: { index: 'src/index.ts', define: 'src/define.ts' },
      formats: ['es'],
    },
    rollupOptions: {
      // lit is the page's to provide, once, whatever else uses it.
      external: [/^lit($|\/)/, /^@lit\//],
      output: { preserveModules: true, preserveModulesRoot: 'src', entryFileNames: '[name].js' },
    },
  },
});
