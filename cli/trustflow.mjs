#!/usr/bin/env node
// The `trustflow` CLI entry (package.json "bin"). Runs the CLI (main.ts) from JavaScript built
// ahead of time with esbuild (bundle.mjs: at `npm install`, or here on the first call after a
// fresh clone or an edit of the sources). Kept tiny so that everything testable lives in main.ts.
import { ensureCliBundle, loadCliBundle } from "./bundle.mjs";

const cli = loadCliBundle(await ensureCliBundle());
process.exitCode = await cli.exports.main(process.argv.slice(2));
cli.keepCache();
