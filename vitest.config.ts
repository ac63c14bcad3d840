import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { defineConfig } from "vitest/config";

const alias = {
  "@": path.resolve(import.meta.dirname),
  "server-only": path.resolve(import.meta.dirname, "server/testing/server-only.ts"),
};
const exclude = ["node_modules/**", ".next*/**", "e2e/**", "bench/**", "cli/dist/**"];

/**
 * The unit test files that replace modules (`vi.mock`, `vi.doMock`) or empty the module registry
 * (`vi.resetModules`), found by reading them: each runs in a module graph of its own (the
 * `unit-isolated` project). Every other unit file shares its worker's graph (`isolate: false`):
 * importing the same modules again for each of ~150 files was half of the unit step's time.
 */
function unitFilesReplacingModules(): string[] {
  const root = import.meta.dirname;
  const skip = new Set(["node_modules", "e2e", "bench", "dist", "coverage", "test-results"]);
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!skip.has(entry.name) && !entry.name.startsWith(".")) walk(file);
      } else if (entry.name.endsWith(".test.ts") && !entry.name.endsWith(".int.test.ts")) {
        if (/\bvi\.(mock|doMock|unmock|doUnmock|resetModules)\(/.test(readFileSync(file, "utf8")))
          found.push(path.relative(root, file));
      }
    }
  };
  walk(root);
  return found.sort();
}
const isolatedUnitFiles = unitFilesReplacingModules();

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
          exclude: [...exclude, "**/*.int.test.ts", ...isolatedUnitFiles],
          environment: "node",
          testTimeout: 60_000,
          // Files share their worker's module graph (see `unitFilesReplacingModules`); what a
          // file changes it puts back in its own hooks (file-setup.ts: `process.env`, timers).
          isolate: false,
          setupFiles: ["server/testing/file-setup.ts"],
        },
      },
      {
        resolve: { alias },
        test: {
          name: "unit-isolated",
          include: isolatedUnitFiles,
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
          // (file-setup.ts puts `process.env` back; mocks are undone in the file that made them).
          isolate: false,
          // One migrated template database per run, copied by each `openTestDatabase()`.
          globalSetup: ["server/testing/global-setup.ts"],
          setupFiles: ["server/testing/file-setup.ts", "server/testing/int-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          env: { NODE_ENV: "test" },
        },
      },
    ],
  },
});
