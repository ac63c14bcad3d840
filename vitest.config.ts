import os from "node:os";
import path from "node:path";
import { defineConfig } from "vitest/config";

const alias = {
  "@": path.resolve(import.meta.dirname),
  "server-only": path.resolve(import.meta.dirname, "server/testing/server-only.ts"),
};
const exclude = ["node_modules/**", ".next*/**", "e2e/**", "bench/**", "cli/dist/**"];

/**
 * Test files run in this many worker processes at once: every core, and at least two. (Vitest's
 * default, one core fewer than the machine has, is a single worker on a 2-core machine, while
 * integration tests spend much of their time waiting on a database or a timer.) TEST_WORKERS
 * overrides it.
 */
const workers = Number(process.env.TEST_WORKERS) || Math.max(2, os.availableParallelism());

export default defineConfig({
  resolve: { alias },
  test: {
    maxWorkers: workers,
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: ["**/*.test.ts"],
          exclude: [...exclude, "**/*.int.test.ts"],
          environment: "node",
          testTimeout: 60_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: "int",
          include: ["**/*.int.test.ts"],
          exclude,
          environment: "node",
          // A worker runs file after file in one module graph: each file's import of the server
          // (~4 s) is paid once per worker, not once per file. Files restore what they change
          // (int-setup.ts puts `process.env` back; mocks are undone in the file that made them).
          isolate: false,
          // One migrated template database per run, copied by each `openTestDatabase()`.
          globalSetup: ["server/testing/global-setup.ts"],
          setupFiles: ["server/testing/int-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          env: { NODE_ENV: "test" },
        },
      },
    ],
  },
});
