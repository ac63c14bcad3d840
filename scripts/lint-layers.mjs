#!/usr/bin/env node
// The layer rules (ARCHITECTURE.md, .dependency-cruiser.cjs) checked on every source directory:
// no import cycles, dsl/ self-contained and imported through dsl/index.ts only, the engine pure,
// the domain free of adapters, adapters free of use cases, the browser code free of server/.
// Exits non-zero on any violation. Part of `npm run lint` and `npm test`'s lint step.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dirs = [
  "app",
  "components",
  "lib",
  "server",
  "dsl",
  "cli",
  "scripts",
  "bench",
  "e2e",
  "instrumentation.ts",
  "proxy.ts",
].filter((d) => existsSync(path.join(root, d)));
const bin = path.join(root, "node_modules", ".bin", "depcruise");
const r = spawnSync(bin, [...dirs, "--config", ".dependency-cruiser.cjs", "--output-type", "err"], {
  cwd: root,
  stdio: "inherit",
});
process.exit(r.status ?? 1);
