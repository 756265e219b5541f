import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import tailwindcss from "@tailwindcss/vite";
import { compression } from "vite-plugin-compression2";

// The SPA lives in client/ and is built into dist/client, which the Express server serves.
export default defineConfig({
  root: "client",
  // Brotli and gzip files beside each asset, served by the server when the browser takes them
  // (the app and chart bundles shrink to about a quarter on the wire).
  plugins: [react(), tailwindcss(), compression({ algorithms: ["brotliCompress", "gzip"], include: /\.(js|css|svg|html|json)$/, threshold: 1024 })],
  build: {
    outDir: "../dist/client",
    emptyOutDir: true,
    sourcemap: false,
    // .vite/manifest.json: which chunks each page needs, for the server's modulepreload hints (server/http/route-preloads.ts).
    manifest: true,
  },
  server: {
    port: 5173,
    proxy: {
      "/trpc": "http://127.0.0.1:3000",
      "/v1": "http://127.0.0.1:3000",
      "/auth": "http://127.0.0.1:3000",
      "/healthz": "http://127.0.0.1:3000",
    },
  },
});
