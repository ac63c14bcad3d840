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
          testTimeout: 60_000,
          hookTimeout: 120_000,
          env: { NODE_ENV: "test" },
        },
      },
    ],
  },
});
