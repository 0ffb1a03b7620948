import { defineConfig } from 'vite';
import { relayPlugin } from '../server/vite-plugin.js';

/** `npm start`: the demo page, served from this folder, with the signaling relay on the same port (/signal). */
export default defineConfig({
  root: import.meta.dirname,
  server: { port: 5173, host: true, strictPort: false },
  preview: { port: 5173 },
  plugins: [relayPlugin()],
  // Bundled up front and never discovered on a visit: a discovery makes Vite reload the page, which on a fresh
  // machine left the first page of the end-to-end tests without its elements. Every `lit/...` module that src/ and demo/
  // import belongs here: one left out is served from node_modules with its own copy of lit-html ("Multiple versions of
  // Lit loaded", as lit/directives/live.js was).
  optimizeDeps: {
    include: ['lit', 'lit/directives/live.js', 'lit/directives/repeat.js', 'lit/static-html.js'],
    noDiscovery: true,
  },
});
