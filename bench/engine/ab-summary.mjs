#!/usr/bin/env node
// Summarises bench/engine/ab-sittings.sh's output: one row per sitting and side (max-throughput
// reps and their median, CPU per request, PostgreSQL's waits, and the ledger outbox's lag where
// a probe recorded one: the removed outbox's sittings, bench/RESULTS.md), then
// the medians per side over all sittings. usage: node bench/engine/ab-summary.mjs OUT_DIR
import { readdirSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: ab-summary.mjs OUT_DIR");
  process.exit(2);
}
const median = (xs) => {
  const s = xs.filter((x) => x != null).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const r1 = (x) => (x == null ? "–" : (Math.round(x * 10) / 10).toString());
const r2 = (x) => (x == null ? "–" : (Math.round(x * 100) / 100).toFixed(2));
const sittings = readFileSync(path.join(dir, "sittings.txt"), "utf8").trim().split("\n");
const rows = [];
for (const line of sittings) {
  const [s, side, t0, l0, t1, l1] = line.split(" ");
  const base = path.join(dir, `${s}-${side}`, "results");
  const stamp = readdirSync(base).sort().at(-1);
  const res = readFileSync(path.join(base, stamp, "results.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  const max = res.filter((r) => r.type === "max");
  const probes = max
    .map((r) => path.join(base, stamp, `probe-${r.rep}.json`))
    .filter(existsSync)
    .map((f) => JSON.parse(readFileSync(f, "utf8")));
  const waits = {};
  for (const p of probes)
    for (const [w, n] of Object.entries(p.waits)) waits[w] = (waits[w] ?? 0) + n / probes.length;
  rows.push({
    s,
    side,
    when: `${t0}–${t1}`,
    load: `${l0} → ${l1}`,
    reps: max.map((r) => Math.round(r.rps)),
    rps: median(max.map((r) => r.rps)),
    p50: median(max.map((r) => r.p50)),
    cpu: ["server", "relay", "postgres", "total"].map((k) =>
      median(probes.map((p) => p.cpuMsPerRequest[k])),
    ),
    waits: Object.entries(waits)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4),
    lag: probes[0]?.outbox
      ? ["p50", "p95", "max"].map((k) => median(probes.map((p) => p.outbox.oldestAgeMs[k])))
      : null,
    drain: probes[0]?.outbox ? median(probes.map((p) => p.outbox.drainAfterLoadMs)) : null,
    // PROBE_RATE's fixed-rate runs: CPU per request where both builds keep up.
    rate: (() => {
      const fixed = max
        .map((r) => path.join(base, stamp, `probe-rate-${r.rep}.json`))
        .filter(existsSync)
        .map((f) => JSON.parse(readFileSync(f, "utf8")));
      if (!fixed.length) return null;
      return {
        rps: median(fixed.map((p) => p.rps)),
        cpu: ["server", "relay", "postgres", "total"].map((k) =>
          median(fixed.map((p) => p.cpuMsPerRequest[k])),
        ),
      };
    })(),
  });
}
console.log(
  "| sitting | side | time (UTC) | load | req/s (reps) | median | p50 ms | CPU ms/req: server / relay / PostgreSQL / total | active backends by wait (mean per sample) | outbox oldest p50 / p95 / max ms, drained after |",
);
console.log("| --- | --- | --- | --- | --- | ---: | ---: | --- | --- | --- |");
for (const r of rows)
  console.log(
    `| ${r.s} | ${r.side} | ${r.when} | ${r.load} | ${r.reps.join(", ")} | ${r1(r.rps)} | ${r1(r.p50)} | ${r.cpu.map(r2).join(" / ")} | ${r.waits.map(([w, n]) => `${w} ${r2(n)}`).join(", ")} | ${r.lag ? `${r.lag.map(r1).join(" / ")}, ${r.drain} ms` : "–"} |`,
  );
if (rows.some((r) => r.rate)) {
  console.log("");
  console.log(
    "| sitting | side | fixed rate, req/s | CPU ms/req: server / relay / PostgreSQL / total |",
  );
  console.log("| --- | --- | ---: | --- |");
  for (const r of rows.filter((x) => x.rate))
    console.log(`| ${r.s} | ${r.side} | ${r1(r.rate.rps)} | ${r.rate.cpu.map(r2).join(" / ")} |`);
}
console.log("");
console.log(
  "| side | sittings | median of sitting medians, req/s | all reps' median, req/s | CPU ms/req total (median) |",
);
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const side of ["base", "after"]) {
  const mine = rows.filter((r) => r.side === side);
  console.log(
    `| ${side} | ${mine.length} | ${r1(median(mine.map((r) => r.rps)))} | ${r1(median(mine.flatMap((r) => r.reps)))} | ${r2(median(mine.map((r) => r.cpu[3])))} |`,
  );
}
