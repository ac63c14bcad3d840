/**
 * `npm run bench:trust-gate`: what the trust check at a run's start adds (issue 17). The engine
 * asks the cached earned-score lookup (`earnedTrustLookup`, `server/domain/trust/list-trust.ts`)
 * at a run's first advance when its flow has a `trust.min`, and checks the gates
 * (`checkTrust`, `server/engine/trust-gate.ts`). Three figures, PGlite in-process with 200 block
 * versions' counts seeded:
 * - a cache miss (one indexed read of `TrustCount` and 200 scores: once per workspace per 10 s);
 * - a cache hit plus the check, per run start, for a 2-step and a 20-step flow;
 * - whole runs of a 2-step pure flow on the engine's memory store (no SQL), with and without
 *   `trust.min`: runs/s, so the check's share of a start is seen beside the rest of the engine.
 * Median of `--reps` repetitions.
 *   node --import tsx bench/trust/start-gate.ts [--reps 7]
 */
import { loadavg } from "node:os";
import { compileFlow, serverRegistry } from "@/server/domain/workflow/compile-flow";
import { clearTrustProviders, earnedTrustLookup } from "@/server/domain/trust/list-trust";
import { checkTrust } from "@/server/engine/trust-gate";
import { harness } from "@/server/engine/testing/harness";

const { migrate, openDatabase } = await import("@/server/adapters/prisma");

const args = process.argv.slice(2);
const opt = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const reps = opt("--reps", 7);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function flow(steps: number, min: boolean, uses = "data.transform@1") {
  const body = Array.from({ length: steps }, (_, i) =>
    [
      `  - id: s${i}`,
      `    uses: ${uses}`,
      ...(i ? [`    needs: [s${i - 1}]`] : []),
      `    with:`,
      `      fields: { hop: "'s${i}'" }`,
    ].join("\n"),
  ).join("\n");
  const text = `flow: gate-${steps}\nversion: 1.0.0\nsla: T2\ntrigger:\n  manual: {}\n${min ? "trust: { min: 0.5 }\n" : ""}steps:\n${body}\n`;
  const r = compileFlow(text);
  if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join("; "));
  return r.ir;
}

const db = await openDatabase({ kind: "pglite" });
await migrate(db.driver);
const ws = await db.prisma.workspace.create({ data: { slug: "bench-gate", name: "Bench" } });
const transform = serverRegistry().get("data.transform")!;
// 200 block versions with enough history; data.transform's own among them.
await db.prisma.$executeRawUnsafe(
  `INSERT INTO "TrustCount" ("workspaceId", "kind", "key", "label", "baseline", "successes",
     "failures", "attempts", "at")
   SELECT $1::uuid, 'block', CASE WHEN g = 1 THEN $2 ELSE 'bench.block' || g || '@1.0.0' END,
          'b', 0.9, 80, 5, 85, now() FROM generate_series(1, 200) g`,
  ws.id,
  `data.transform@${transform.version}`,
);

// 1. Cache misses.
const miss: number[] = [];
for (let i = 0; i < reps * 3; i++) {
  clearTrustProviders();
  const t = performance.now();
  await earnedTrustLookup(db.prisma, ws.id, Date.now());
  miss.push(performance.now() - t);
}

// 2. Cache hits plus the check, per run start.
const hitPer = async (ir: ReturnType<typeof flow>) => {
  const per: number[] = [];
  const N = 5_000;
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    for (let i = 0; i < N; i++) {
      const lookup = await earnedTrustLookup(db.prisma, ws.id, Date.now());
      if (checkTrust(ir, lookup).decision === "halt") throw new Error("unexpected halt");
    }
    per.push(((performance.now() - t) / N) * 1000);
  }
  return median(per);
};
const hit2 = await hitPer(flow(2, true));
const hit20 = await hitPer(flow(20, true));

// 3. Whole runs on the memory store, with and without a minimum.
const runsPerSecond = async (min: boolean) => {
  const ir = flow(2, min);
  const out: number[] = [];
  const N = 1_000;
  for (let r = 0; r < reps; r++) {
    const h = harness({
      earnedTrust: (w) => earnedTrustLookup(db.prisma, w, Date.now()),
    });
    const t = performance.now();
    for (let i = 0; i < N; i++) await h.start(ir);
    await h.drain();
    out.push(N / ((performance.now() - t) / 1000));
  }
  return median(out);
};
// The harness's runs are in another workspace id: seed its counts too.
await db.prisma.workspace.create({
  data: { id: "00000000-0000-4000-8000-00000000beef", slug: "bench-harness", name: "H" },
});
await db.prisma.$executeRawUnsafe(
  `INSERT INTO "TrustCount" ("workspaceId", "kind", "key", "label", "baseline", "successes", "failures", "attempts", "at")
   SELECT '00000000-0000-4000-8000-00000000beef'::uuid, kind, key, label, baseline, successes, failures, attempts, at
     FROM "TrustCount" WHERE "workspaceId" = $1::uuid`,
  ws.id,
);
const without = await runsPerSecond(false);
const withMin = await runsPerSecond(true);

const f = (x: number, d = 1) => x.toFixed(d);
console.log(`| figure | median |`);
console.log(`| --- | --- |`);
console.log(
  `| cache miss: read 200 block counts and score them (once per workspace per 10 s) | ${f(median(miss), 2)} ms |`,
);
console.log(`| cache hit + check, 2-step flow, per run start | ${f(hit2, 2)} µs |`);
console.log(`| cache hit + check, 20-step flow, per run start | ${f(hit20, 2)} µs |`);
console.log(`| 2-step pure flow, memory store, without trust.min | ${f(without, 0)} runs/s |`);
console.log(
  `| same flow with trust.min (check on earned scores at start) | ${f(withMin, 0)} runs/s |`,
);
console.log(
  `\nreps ${reps}; load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}; node ${process.version}`,
);
await db.close();
