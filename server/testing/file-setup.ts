/**
 * Setup file of the unit and integration projects, run before each test file. Their files share
 * worker processes (`isolate: false`, vitest.config.ts), so what one file changes in the
 * environment must not reach the next: `process.env` is put back as it was before the file, and
 * real timers, after its `afterAll`s.
 */
import { afterAll, vi } from "vitest";

const before = { ...process.env };

afterAll(() => {
  for (const key of Object.keys(process.env)) if (!(key in before)) delete process.env[key];
  Object.assign(process.env, before);
  vi.useRealTimers();
});
