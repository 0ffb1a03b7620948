import { defineConfig } from 'vite';
import { relayPlugin } from '../server/vite-plugin.js';

/** `npm start`: the demo page, served from this folder, with the signaling relay on the same port (/signal). */
export default defineConfig({
  root: import.meta.dirname,
  server: { port: 5173, host: true, strictPort: false },
  preview: { port: 5173 },
  plugins: [relayPlugin()],
  // Bundled up front and never discovered on a visit: a discovery makes Vite reload the page, which on a fresh
  // machine left the first page of the end-to-end tests without its elements.
  optimizeDeps: {
    include: ['lit', 'lit/directives/repeat.js'],
    noDiscovery: true,
  },
});
