/**
 * Setup file of the integration project, run before each test file. Its files share worker
 * processes (`isolate: false`, vitest.config.ts), so what one file changes in the environment must
 * not reach the next: `process.env` is put back as it was before the file, after its `afterAll`s.
 */
import { afterAll } from "vitest";

const before = { ...process.env };

afterAll(() => {
  for (const key of Object.keys(process.env)) if (!(key in before)) delete process.env[key];
  Object.assign(process.env, before);
});
