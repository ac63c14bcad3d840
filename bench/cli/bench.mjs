#!/usr/bin/env node
// `npm run bench:cli`: how long one call of the `trustflow` CLI takes, start to exit, on one file.
//
//   node bench/cli/bench.mjs [--runs 11] [--file dsl/testdata/quote-to-cash.yaml] [--base <dir>] [--quick]
//                            [--run <flow.yaml>]
//
// Cases, each run `--runs` times after one warm-up call, round-robin (medians of wall time, and of
// the child's CPU time when /usr/bin/time is there):
//   - prebuilt: `node cli/trustflow.mjs validate|compile <file>` (the bundle built beforehand);
//   - tsx: the same CLI code loaded through tsx's TypeScript loader at each call, as the entry did
//     before issue 14;
//   - base (with --base <checkout>): another checkout's own entry, e.g. the commit before the
//     change (`git archive <commit> | tar -x -C <dir>`, with a node_modules symlink).
//   - with --run <flow.yaml>: `trustflow run <flow.yaml> --json`, its engine from the prebuilt
//     runner bundle (cli/dist/run.mjs), and the same command with the engine loaded through tsx,
//     as the entry did before the runner was bundled, and the prebuilt one with WebAssembly's
//     optimising tier on (`node --no-liftoff-only`), as before `run` kept to Liftoff (a `run`
//     takes seconds: use fewer --runs).
// With --quick, only the prebuilt cases and `node -e 0` (the tsx cases take most of the time).
// Prints a table and the machine's load average before and after.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ensureCliBundle, ensureRunnerBundle } from "../../cli/bundle.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const runs = Number(opt("--runs", "11"));
const file = opt("--file", "dsl/testdata/quote-to-cash.yaml");
const base = opt("--base", null);
const quick = args.includes("--quick");
const runFlow = opt("--run", null);
if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs wants a positive integer");
if (!existsSync(path.join(root, file))) throw new Error(`no such file: ${file}`);

const timeBin = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;

/** One call: wall ms, and CPU ms (user + system) of the child when /usr/bin/time is there. */
function once(argv, cwd) {
  const cmd = timeBin ? [timeBin, "-f", "@cpu %U %S", process.execPath, ...argv] : null;
  const t0 = performance.now();
  const r = cmd
    ? spawnSync(cmd[0], cmd.slice(1), { cwd, encoding: "utf8" })
    : spawnSync(process.execPath, argv, { cwd, encoding: "utf8" });
  const wall = performance.now() - t0;
  if (r.status !== 0 && r.status !== 1) {
    throw new Error(`${argv.join(" ")} exited with ${r.status}: ${r.stderr}`);
  }
  const m = /@cpu ([\d.]+) ([\d.]+)/.exec(r.stderr ?? "");
  return { wall, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Runs the cases round-robin (one call of each per round, after one warm-up call of each: file
 * cache, V8 code cache), so that a change of the machine's load weighs on every case alike, and
 * prints each case's medians.
 */
function measureAll(cases) {
  for (const c of cases) once(c.argv, c.cwd);
  const xs = cases.map(() => []);
  for (let i = 0; i < runs; i++) cases.forEach((c, j) => xs[j].push(once(c.argv, c.cwd)));
  return cases.map((c, j) => {
    const row = {
      label: c.label,
      wall: median(xs[j].map((x) => x.wall)),
      min: Math.min(...xs[j].map((x) => x.wall)),
      cpu: median(xs[j].map((x) => x.cpu)),
    };
    console.log(
      `${c.label.padEnd(38)} median ${row.wall.toFixed(0).padStart(5)} ms wall (min ${row.min.toFixed(0)})` +
        (Number.isNaN(row.cpu) ? "" : `, ${row.cpu.toFixed(0).padStart(5)} ms CPU`),
    );
    return row;
  });
}

// The TypeScript sources through tsx's loader, as `trustflow.mjs` did before issue 14.
const viaTsx = (command) => [
  "--input-type=module",
  "-e",
  `import { register } from "tsx/esm/api"; register();
   const { main } = await import(${JSON.stringify(pathToFileURL(path.join(root, "cli/main.ts")).href)});
   process.exitCode = await main(${JSON.stringify([command, file])});`,
];

// `trustflow run`, its engine (cli/run.ts) loaded through tsx as the entry did before the runner
// had a bundle of its own; the rest as `cli/trustflow.mjs` does.
const runViaTsx = (flow) => [
  "--input-type=module",
  "-e",
  `import { ensureCliBundle, loadCliBundle } from ${JSON.stringify(pathToFileURL(path.join(root, "cli/bundle.mjs")).href)};
   const cli = loadCliBundle(await ensureCliBundle());
   const loadRunner = async () => {
     process.env.LOG_LEVEL = "silent";
     const { tsImport } = await import("tsx/esm/api");
     return tsImport(${JSON.stringify(pathToFileURL(path.join(root, "cli/run.ts")).href)}, ${JSON.stringify(pathToFileURL(path.join(root, "cli/trustflow.mjs")).href)});
   };
   const code = await cli.exports.main(["run", ${JSON.stringify(flow)}, "--json"], undefined, { loadRunner });
   process.stdout.write("", () => process.exit(code));`,
];

await ensureCliBundle();
if (runFlow) {
  if (!existsSync(path.join(root, runFlow))) throw new Error(`no such file: ${runFlow}`);
  if (!(await ensureRunnerBundle())) throw new Error("cli/dist is not writable: no runner bundle");
}
const load0 = os.loadavg();
console.log(
  `trustflow CLI, one file (${file}), ${runs} runs per case; ${os.cpus().length} × ${os.cpus()[0]?.model ?? "CPU"}, node ${process.version}`,
);
console.log(`load average before: ${load0.map((l) => l.toFixed(2)).join(" ")}`);
const cases = [
  { label: "validate, prebuilt", argv: ["cli/trustflow.mjs", "validate", file] },
  { label: "compile, prebuilt", argv: ["cli/trustflow.mjs", "compile", file] },
];
if (!quick) {
  cases.push({ label: "validate, tsx loader (old entry)", argv: viaTsx("validate") });
  cases.push({ label: "compile, tsx loader (old entry)", argv: viaTsx("compile") });
}
if (base) {
  const baseEntry = ["dsl/cli/trustflow.mjs", "cli/trustflow.mjs"].find((e) =>
    existsSync(path.join(base, e)),
  );
  if (!baseEntry) throw new Error(`no trustflow entry under ${base}`);
  const abs = path.join(root, file);
  cases.push({ label: "validate, base checkout", argv: [baseEntry, "validate", abs], cwd: base });
  cases.push({ label: "compile, base checkout", argv: [baseEntry, "compile", abs], cwd: base });
}
if (runFlow) {
  cases.push({
    label: "run, prebuilt engine",
    argv: ["cli/trustflow.mjs", "run", runFlow, "--json"],
  });
  // As `run` was before it kept WebAssembly on Liftoff: V8's optimising tier on (node's own
  // choice is left alone by the entry).
  cases.push({
    label: "run, prebuilt, wasm tier-up (before)",
    argv: ["--no-liftoff-only", "cli/trustflow.mjs", "run", runFlow, "--json"],
  });
  cases.push({ label: "run, engine through tsx (before)", argv: runViaTsx(runFlow) });
}
cases.push({ label: "node -e 0, for scale", argv: ["-e", "0"] });
measureAll(cases.map((c) => ({ cwd: root, ...c })));
console.log(
  `load average after: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
