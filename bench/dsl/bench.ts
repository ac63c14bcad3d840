/**
 * DSL compiler benchmark: parse + validate + compile of generated flows of 10 .. 5,000 steps.
 * Run: `npx tsx bench/dsl/bench.ts`. Writes the `## DSL compiler` section of bench/RESULTS.md.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { compile } from "../../dsl/compile";
import { parseFlow } from "../../dsl/parse";
import { policyLibrary } from "../../dsl/policies/library";
import { BlockRegistry } from "../../dsl/registry/registry";
import { generateFlow } from "./generate";

const SIZES = [10, 100, 1_000, 5_000];
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const registry = BlockRegistry.withPrimitives();
// The flows list no policies: the defaults (always enforced) are evaluated on every step.
const options = { registry, policies: policyLibrary };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const rows: Array<{ n: number; bytes: number; parse: number; total: number }> = [];
for (const n of SIZES) {
  const text = generateFlow(n);
  const warm = compile(text, options);
  if (!warm.ok)
    throw new Error(
      `generated flow of ${n} steps does not compile: ${warm.diagnostics[0]?.message}`,
    );
  const parse: number[] = [];
  const total: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let t0 = performance.now();
    parseFlow(text);
    parse.push(performance.now() - t0);
    t0 = performance.now();
    compile(text, options);
    total.push(performance.now() - t0);
  }
  rows.push({ n, bytes: text.length, parse: median(parse), total: median(total) });
  console.log(
    `${n} steps (${(text.length / 1024).toFixed(0)} KiB): compile ${median(total).toFixed(1)} ms median (YAML parse alone ${median(parse).toFixed(1)} ms)`,
  );
}
const at = (n: number) => rows.find((r) => r.n === n)!;
const ratio = at(5_000).total / at(1_000).total;
console.log(`ratio 5000/1000: ${ratio.toFixed(2)}`);

const cpus = os.cpus();
const section = [
  "## DSL compiler",
  "",
  `Machine: ${cpus[0]?.model ?? "unknown"} x ${cpus.length}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}. ` +
    `Median of ${RUNS} runs after one warm-up; \`npx tsx bench/dsl/bench.ts\`.`,
  "",
  "| steps | size | parse + validate + compile (median ms) | of which YAML parse (ms) |",
  "| ---: | ---: | ---: | ---: |",
  ...rows.map(
    (r) =>
      `| ${r.n} | ${(r.bytes / 1024).toFixed(0)} KiB | ${r.total.toFixed(1)} | ${r.parse.toFixed(1)} |`,
  ),
  "",
  `Ratio 5,000 / 1,000 steps: ${ratio.toFixed(2)} (linear would be 5.0; target <= 5.5). Target for 1,000 steps: <= 50 ms.`,
  "",
].join("\n");

const file = path.join(import.meta.dirname, "..", "RESULTS.md");
const current = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmark results\n\n";
const re = /## DSL compiler\n[\s\S]*?(?=\n## |$)/;
const next = re.test(current) ? current.replace(re, section) : `${current.trimEnd()}\n\n${section}`;
writeFileSync(file, next.endsWith("\n") ? next : `${next}\n`);
