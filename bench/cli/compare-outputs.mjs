#!/usr/bin/env node
// Checks that a change of the CLI's start-up leaves its output alone: runs `validate --json` and
// `compile` on every file under dsl/testdata/ and ../shared/examples/ with this checkout's CLI and
// with another checkout's (e.g. `git archive <commit> | tar -x -C <dir>`, node_modules linked),
// and compares stdout, stderr and exit code byte for byte.
//
//   node bench/cli/compare-outputs.mjs --base <dir> [--spawn]
//
// By default both bundles are loaded in this process and `main` is called per file (fast); with
// --spawn, each call is its own `node <entry>` process, as a user runs it.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const args = process.argv.slice(2);
const baseArg = args.includes("--base") ? args[args.indexOf("--base") + 1] : undefined;
if (!baseArg) throw new Error("usage: compare-outputs.mjs --base <checkout> [--spawn]");
const base = path.resolve(baseArg);
const spawn = args.includes("--spawn");

const dirs = [path.join(root, "dsl/testdata"), path.resolve(root, "../shared/examples")];
const inputs = dirs
  .filter((d) => existsSync(d))
  .flatMap((d) => readdirSync(d).map((n) => path.join(d, n)))
  .filter((f) => statSync(f).isFile())
  .sort();

/** A function `(argv) => { code, out, err }` running one checkout's CLI. */
async function runner(dir) {
  if (spawn) {
    const entry = path.join(dir, "cli/trustflow.mjs");
    return (argv) => {
      const r = spawnSync(process.execPath, [entry, ...argv], { cwd: root, encoding: "utf8" });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
  }
  const { ensureCliBundle, loadCliBundle } = await import(
    pathToFileURL(path.join(dir, "cli/bundle.mjs")).href
  );
  const cli = loadCliBundle(await ensureCliBundle());
  return async (argv) => {
    let out = "";
    let err = "";
    const code = await cli.exports.main(argv, {
      out: (s) => (out += s),
      err: (s) => (err += s),
    });
    return { code, out, err };
  };
}

const mine = await runner(root);
const theirs = await runner(base);
let differ = 0;
for (const file of inputs) {
  const rel = path.relative(root, file);
  for (const argv of [
    ["validate", "--json", rel],
    ["compile", rel],
  ]) {
    const [a, b] = [await mine(argv), await theirs(argv)];
    if (a.code !== b.code || a.out !== b.out || a.err !== b.err) {
      differ++;
      console.log(`DIFFERS: ${argv.join(" ")} (exit ${a.code} vs ${b.code})`);
    }
  }
}
console.log(
  `${inputs.length} files, ${inputs.length * 2} calls (${spawn ? "one process each" : "in process"}): ` +
    (differ === 0 ? "identical output" : `${differ} differ`),
);
process.exitCode = differ === 0 ? 0 : 1;
