#!/usr/bin/env node
// The `trustflow` CLI entry (package.json "bin"). Runs the CLI (main.ts) from JavaScript built
// ahead of time with esbuild (bundle.mjs: at `npm install`, or here on the first call after a
// fresh clone or an edit of the sources). Kept tiny so that everything testable lives in main.ts.
//
// `trustflow run` needs the server's engine: it is loaded only for that command, after its
// arguments and files were checked, so `validate` and `compile` never pay for it — from its own
// prebuilt bundle (cli/dist/run.mjs), or through tsx where that cannot be written.
import { pathToFileURL } from "node:url";
import { ensureCliBundle, ensureRunnerBundle, loadCliBundle } from "./bundle.mjs";

const loadRunner = async () => {
  // The server's own logger writes to standard output, which is the run's report here: off.
  // The engine's warnings go to standard error (TRUSTFLOW_CLI_LOG_LEVEL, see run.ts).
  process.env.LOG_LEVEL = "silent";
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
