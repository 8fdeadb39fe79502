import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The web client. The host (server/) serves the build from dist/ in production and runs this
// config's dev server in middleware mode under `pnpm dev`.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
  },
});
