import { defineConfig } from 'vite';
import { relayPlugin } from '../server/vite-plugin.js';

/** `npm start`: the demo page, served from this folder, with the signaling relay on the same port (/signal). */
export default defineConfig({
  root: import.meta.dirname,
  server: { port: 5173, host: true, strictPort: false },
  preview: { port: 5173 },
  plugins: [relayPlugin()],
  // Bundled up front: discovered on a first visit instead, they would make Vite reload that page.
  optimizeDeps: { include: ['lit', 'lit/decorators.js', 'lit/directives/repeat.js', '@lit/context'] },
});
