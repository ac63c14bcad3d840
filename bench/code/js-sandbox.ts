/**
 * `npm run bench:code`: the code.js sandbox's figures against issue 16's targets (QuickJS in
 * the piscina pool, `server/adapters/code/code-runtime.ts`):
 *   - a fresh pool's first call (thread start + QuickJS module load + the call) — target for
 *     the module load ≤ 150 ms; the module load alone is timed in this process too;
 *   - a small call's latency, p50 and p95 over `--calls` sequential calls (target p50 ≤ 2 ms);
 *   - an infinite loop with a 100 ms deadline: how long past the deadline its answer comes
 *     (target ≤ deadline + 50 ms);
 *   - string and typed-array bombs under a 32 MiB cap: time to the answer, and that the next
 *     call succeeds (target: stopped ≤ 1 s after crossing the cap).
 * Medians of `--reps` repetitions each; prints a markdown table and the load average.
 *   node --import tsx bench/code/js-sandbox.ts [--reps 5] [--calls 300]
 */
import os from "node:os";
import { newQuickJSWASMModuleFromVariant } from "quickjs-emscripten-core";
import variant from "@jitl/quickjs-ng-wasmfile-release-sync";
import { createCodeSandbox, type CodeTask } from "@/server/adapters/code/code-runtime";

const args = process.argv.slice(2);
const opt = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const reps = opt("--reps", 5);
const calls = opt("--calls", 300);

const task = (source: string, over: Partial<CodeTask> = {}): CodeTask => ({
  source,
  inputsJson: JSON.stringify({
    lines: [
      { qty: 2, price: 5 },
      { qty: 1, price: 7 },
    ],
  }),
  timeoutMs: 1000,
  memoryBytes: 32 * 1024 * 1024,
  stackBytes: 256 * 1024,
  maxOutputBytes: 1024 * 1024,
  ...over,
});
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await fn();
  return [performance.now() - t0, r];
}

const load0 = os.loadavg()[0]!.toFixed(2);
const rows: Array<[string, string, string]> = [];

const moduleLoads: number[] = [];
for (let i = 0; i < reps; i++) {
  const [ms] = await timed(() => newQuickJSWASMModuleFromVariant(variant));
  moduleLoads.push(ms);
}
rows.push([
  "QuickJS module load (this process)",
  `${median(moduleLoads).toFixed(1)} ms`,
  "≤ 150 ms",
]);

const firsts: number[] = [];
for (let i = 0; i < reps; i++) {
  const pool = createCodeSandbox({ maxThreads: 1 });
  const [ms, a] = await timed(() => pool.run(task("1 + 1")));
  if (!a.ok) throw new Error(`first call failed: ${JSON.stringify(a)}`);
  firsts.push(ms);
  await pool.close();
}
rows.push([
  "fresh pool's first call (thread + module + call)",
  `${median(firsts).toFixed(1)} ms`,
  "(module load ≤ 150 ms)",
]);

const pool = createCodeSandbox({ maxThreads: 1 });
await pool.run(task("1"));
const p50s: number[] = [];
const p95s: number[] = [];
const small = "return inputs.lines.reduce((s, l) => s + l.qty * l.price, 0);";
for (let r = 0; r < reps; r++) {
  const lat: number[] = [];
  for (let i = 0; i < calls; i++) {
    const [ms, a] = await timed(() => pool.run(task(small)));
    if (!a.ok || a.resultJson !== "17") throw new Error(`wrong answer ${JSON.stringify(a)}`);
    lat.push(ms);
  }
  p50s.push(pct(lat, 0.5));
  p95s.push(pct(lat, 0.95));
}
rows.push([
  `small call, p50 (${calls} sequential calls)`,
  `${median(p50s).toFixed(2)} ms`,
  "≤ 2 ms",
]);
rows.push([`small call, p95`, `${median(p95s).toFixed(2)} ms`, ""]);

const late: number[] = [];
for (let r = 0; r < reps; r++) {
  const [ms, a] = await timed(() => pool.run(task("while (true) {}", { timeoutMs: 100 })));
  if (a.ok || a.kind !== "timeout") throw new Error(`loop not stopped: ${JSON.stringify(a)}`);
  late.push(ms - 100);
}
rows.push([
  "infinite loop, answer past its 100 ms deadline",
  `${median(late).toFixed(1)} ms`,
  "≤ 50 ms",
]);

for (const [name, source] of [
  [
    "string bomb (16 MiB strings, 32 MiB cap)",
    "const a = []; for (;;) a.push('x'.repeat(16 << 20) + a.length);",
  ],
  [
    "typed-array bomb (8 MiB arrays, 32 MiB cap)",
    "const a = []; for (;;) a.push(new Float64Array(1 << 20));",
  ],
] as const) {
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const [ms, a] = await timed(() => pool.run(task(source, { timeoutMs: 20_000 })));
    if (a.ok || a.kind !== "memory") throw new Error(`${name} not stopped: ${JSON.stringify(a)}`);
    const next = await pool.run(task("1 + 1"));
    if (!next.ok) throw new Error(`the call after ${name} failed`);
    times.push(ms);
  }
  rows.push([
    `${name}: stopped (whole call), next call ok`,
    `${median(times).toFixed(1)} ms`,
    "≤ 1 s past the cap",
  ]);
}
await pool.close();

console.log(
  `code.js sandbox, ${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} cpus, load ${load0} → ${os.loadavg()[0]!.toFixed(2)}, medians of ${reps}`,
);
console.log("\n| figure | value | target |\n| --- | ---: | --- |");
for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
