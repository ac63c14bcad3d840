import { API_CSP, SECURITY_HEADERS } from "./lib/security-headers.mjs";

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  // Another output directory lets several builds of one checkout coexist (NEXT_DIST_DIR).
  distDir: process.env.NEXT_DIST_DIR || ".next",
  poweredByHeader: false,
  // Always defined at build time, so the bundler folds the checks of the studio's test hooks and
  // drops the hooks from every build but `npm test`'s e2e build (lib/studio/test-hooks.ts).
  env: {
    NEXT_PUBLIC_TRUSTFLOW_TEST_HOOKS:
      process.env.NEXT_PUBLIC_TRUSTFLOW_TEST_HOOKS === "1" ? "1" : "0",
  },
  // Hardening headers on every response; pages get their nonce-based CSP from proxy.ts.
  async headers() {
    return [
      { source: "/:path*", headers: [...SECURITY_HEADERS] },
      { source: "/api/:path*", headers: [{ key: "Content-Security-Policy", value: API_CSP }] },
    ];
  },
  // Native and WASM packages are loaded by Node at run time, not bundled.
  serverExternalPackages: [
    "@electric-sql/pglite",
    "pglite-prisma-adapter",
    "pg",
    "pg-boss",
    "pino",
    "pino-pretty",
    "@prisma/adapter-pg",
    // code.js's thread pool: piscina finds its own worker script next to its module file.
    "piscina",
  ],
  typescript: { ignoreBuildErrors: true },
  // monaco-yaml's worker (through monaco-worker-manager) imports a deep path of monaco-editor
  // that monaco-editor 0.57's `exports` map no longer allows; point it at the exported one.
  turbopack: {
    resolveAlias: {
      "monaco-editor/esm/vs/editor/editor.worker.js": "monaco-editor/editor/editor.worker.js",
    },
  }, // `npm test` type-checks; the build need not repeat it
};

export default nextConfig;
