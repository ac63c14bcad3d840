#!/usr/bin/env node
// The `trustflow` CLI entry (package.json "bin"). Runs the CLI (main.ts) from JavaScript built
// ahead of time with esbuild (bundle.mjs: at `npm install`, or here on the first call after a
// fresh clone or an edit of the sources). Kept tiny so that everything testable lives in main.ts.
//
// `trustflow run` needs the server's engine: it is loaded only for that command, after its
// arguments and files were checked, so `validate` and `compile` never pay for it — from its own
// prebuilt bundle (cli/dist/run.mjs), or through tsx where that cannot be written.
import { pathToFileURL } from "node:url";
import v8 from "node:v8";
import { ensureCliBundle, ensureRunnerBundle, loadCliBundle } from "./bundle.mjs";

const loadRunner = async () => {
  // The server's own logger writes to standard output, which is the run's report here: off.
  // The engine's warnings go to standard error (TRUSTFLOW_CLI_LOG_LEVEL, see run.ts).
  process.env.LOG_LEVEL = "silent";
  // WebAssembly (PGlite's PostgreSQL, the code sandboxes' QuickJS) compiled by Liftoff alone: a
  // run lasts seconds, and optimising its hot functions on the side cost more CPU than it saved
  // (a run of invoice-check.yaml: 8.5 → 4.2 CPU-seconds; a 20-million-iteration code.js loop:
  // 9.3–11.6 → 6.5–7.2 s; bench/RESULTS.md, CLI). Set before any module is compiled, unless
  // node was given a choice of its own (`node --no-liftoff-only cli/trustflow.mjs run …`).
  if (!process.execArgv.some((a) => /^--(no-)?(liftoff|wasm-tier)/.test(a)))
    v8.setFlagsFromString("--liftoff-only");
  const bundle = await ensureRunnerBundle();
  if (bundle) return import(pathToFileURL(bundle).href);
  const { tsImport } = await import("tsx/esm/api");
  return tsImport("./run.ts", import.meta.url);
};

const cli = loadCliBundle(await ensureCliBundle());
const code = await cli.exports.main(process.argv.slice(2), undefined, { loadRunner });
cli.keepCache();
if (process.argv[2] === "run") {
  // A run leaves handles behind (database, worker threads, timers): it ends here, once its
  // output is written.
  process.stdout.write("", () => process.exit(code));
} else process.exitCode = code;
