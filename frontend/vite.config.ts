/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Relative asset paths: the same build is served under /console/ by the sandbox and at the root of
// the CloudFront distribution when deployed. The runtime configuration is not built in: the host
// serves config.json beside index.html.
export default defineConfig({
  base: "./",
  plugins: [react()],
  build: {
    outDir: "dist",
    sourcemap: false,
    chunkSizeWarningLimit: 4096,
  },
  server: {
    // `npm run dev` against a sandbox on 8787: the API and config.json come from it.
    proxy: Object.fromEntries(
      ["/health", "/drs", "/protection-groups", "/recovery-plans", "/executions", "/config.json"].map((p) => [
        p,
        { target: "http://127.0.0.1:8787", rewrite: (path: string) => (p === "/config.json" ? "/console/config.json" : path) },
      ]),
    ),
  },
  test: {
    environment: "jsdom",
    globals: true,
    include: ["test/**/*.test.{ts,tsx}"],
    css: false,
    setupFiles: ["test/vitest.setup.ts"],
    testTimeout: 20000,
  },
});
