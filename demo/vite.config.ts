import { defineConfig } from 'vite';

/** `npm start`: the demo page, served from this folder, with the kit's sources compiled on the fly. */
export default defineConfig({
  root: import.meta.dirname,
  server: { port: 5173, host: true, strictPort: false },
  preview: { port: 5173 },
});
