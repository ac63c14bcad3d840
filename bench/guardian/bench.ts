/**
 * `npm run bench:guardian`: the guardian's quality on its labelled corpus (issue 18, item 4) and
 * what it costs.
 *
 * 1. Quality over `--seeds` seeded corpora (`server/domain/guardian/corpus.ts`: several hundred
 *    failures over a dozen flows, seven planted classes): group purity, groups mixing classes,
 *    triage accuracy, proposals per patchable class, none for external/policy/transient, and the
 *    data-class failures whose patched mapping evaluates on their recorded input.
 * 2. The pure pipeline's cost per failure (fingerprint + grouping, triage, proposals), median of
 *    `--repeat` runs.
 * 3. The consumer on PGlite: `--runs` reconciled runs seeded into the tables (every 5th fails its
 *    CRM write with a 429 whose message varies: ids, uuids, seconds), grouped by
 *    `groupFailedRuns` in batches of `--batch` as the background loop does.
 *   node --import tsx bench/guardian/bench.ts [--seeds 5] [--repeat 7] [--runs 5000] [--batch 200]
 */
import os from "node:os";
import { scoreCorpus } from "@/server/domain/guardian/corpus-score";
import { buildCorpus } from "@/server/domain/guardian/corpus";
import { fingerprint } from "@/server/domain/guardian/fingerprint";
import { groupAll } from "@/server/domain/guardian/grouping";
import { proposeFixes } from "@/server/domain/guardian/proposals";
import { triage } from "@/server/domain/guardian/triage";
import { groupFailedRuns } from "@/server/domain/guardian/consumer";
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import { benchArgs, median, openBenchDb, seedBenchWorkspace } from "../support/bench-db";

const args = benchArgs();
const seeds = args.num("--seeds", 5);
const repeat = args.num("--repeat", 7);
const runs = args.num("--runs", 5000);
const batch = args.num("--batch", 200);
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

console.log(
  `node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(2)}\n`,
);

// 1. Quality.
console.log(
  "| seed | failures | flows | groups | purity | mixed groups | triage correct | patchable with a proposal | proposals for external / policy / transient | data failures fixed by the patched mapping | bad inputs refused by the stricter input schema |",
);
console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (let seed = 18; seed < 18 + seeds; seed++) {
  const s = scoreCorpus(seed);
  const c = s.perClass;
  const patchable = [
    "schema-drift",
    "timeout",
    "rate-limit-storm",
    "bad-mapping",
    "bad-input",
  ] as const;
  const withP = patchable.reduce((n, k) => n + c[k].withProposal, 0);
  const of = patchable.reduce((n, k) => n + c[k].failures, 0);
  const none =
    c["expired-credential"].proposals +
    c["policy-refusal"].proposals +
    c["flaky-network"].proposals;
  console.log(
    `| ${seed} | ${s.failures} | ${s.flows} | ${s.groups} | ${s.purity.toFixed(3)} | ${s.mixedGroups} | ${pct(s.triageCorrect)} | ${withP}/${of} | ${none} | ${s.dataFixed.fixed}/${s.dataFixed.of} | ${s.inputFixed.fixed}/${s.inputFixed.of} |`,
  );
}

// 2. The pure pipeline.
const { flows, failures } = buildCorpus(18);
const group: number[] = [];
const tri: number[] = [];
const prop: number[] = [];
let nGroups = 0;
for (let r = 0; r < repeat; r++) {
  const t0 = performance.now();
  const fps = failures.map((f) => fingerprint(f.record));
  const groups = groupAll(fps, []);
  group.push(performance.now() - t0);
  nGroups = groups.length;
  const index = new Map(fps.map((fp, i) => [fp, i]));
  const members = groups.map((g) => g.members.map((fp) => failures[index.get(fp)!]!.record));
  const t1 = performance.now();
  const verdicts = members.map((m) => triage(m));
  tri.push(performance.now() - t1);
  const byId = new Map(flows.map((f) => [f.workflowId, f]));
  const t2 = performance.now();
  verdicts.forEach((v, i) => {
    const f = byId.get(members[i]![0]!.workflowId!)!;
    proposeFixes(v, members[i]![0]!, {
      text: f.text,
      version: f.version,
      compile: (t) => compileFlow(t),
    });
  });
  prop.push(performance.now() - t2);
}
console.log(
  `\nPure pipeline, corpus seed 18 (${failures.length} failures, ${nGroups} groups), median of ${repeat}:\n`,
);
console.log("| measure | value |\n| --- | ---: |");
console.log(
  `| fingerprint + grouping, per failure | ${((median(group) / failures.length) * 1000).toFixed(1)} µs |`,
);
console.log(`| triage, per group | ${((median(tri) / nGroups) * 1000).toFixed(1)} µs |`);
console.log(
  `| rule proposals (edit, compile, diff), per group | ${(median(prop) / nGroups).toFixed(2)} ms |`,
);

// 3. The consumer on PGlite.
const FLOW = `flow: bench-guardian
version: 1.0.0
steps:
  - id: look
    uses: crm.contact.get@1
    with: { id: CON-1 }
  - id: update
    uses: crm.contact.update@1
    needs: [look]
    with: { id: CON-1, lifecycle: customer }
`;
const db = await openBenchDb();
const p = db.prisma;
const { ws, workflows } = await seedBenchWorkspace(p, [
  { name: "Bench", text: FLOW, version: { irHash: "h" } },
]);
const wf = workflows[0]!;
const s0 = performance.now();
await p.$executeRawUnsafe(
  `INSERT INTO "Run" (id, "workspaceId", "workflowId", version, "irHash", status, "createdAt", "finishedAt", "reconciledAt")
   SELECT gen_random_uuid(), $1::uuid, $2::uuid, '1.0.0', 'h',
          (CASE WHEN g % 5 = 0 THEN 'failed' ELSE 'succeeded' END)::"RunStatus",
          now(), now() - (($3::int - g) || ' ms')::interval, now() - (($3::int - g) || ' ms')::interval
     FROM generate_series(1, $3::int) g`,
  ws.id,
  wf.id,
  runs,
);
await p.$executeRawUnsafe(
  `INSERT INTO "StepAttempt" ("runId", "stepId", "attempt", "status", "blockId", "idempotencyKey", "startedAt", "finishedAt", "durationMs", "error", "classification")
   SELECT r.id, s.step, 1, s.status, s.block, r.id || s.step, r."finishedAt", r."finishedAt", 50,
          CASE WHEN s.status = 'failed' THEN jsonb_build_object('name', 'ConnectorError', 'retryable', true,
            'message', 'crm PATCH /contacts/CON-' || (random() * 9999)::int || ' failed with HTTP 429: rate limit exceeded, retry in ' || (random() * 60)::int || ' seconds (request ' || gen_random_uuid() || ')',
            'classification', '{"severity":"low","category":"integration"}'::jsonb, 'detail', '{"status":429}'::jsonb) END,
          CASE WHEN s.status = 'failed' THEN '{"severity":"low","category":"integration"}'::jsonb END
     FROM "Run" r CROSS JOIN LATERAL (VALUES
       ('look', 'succeeded', 'crm.contact.get'),
       ('update', CASE WHEN r.status = 'failed' THEN 'failed' ELSE 'succeeded' END, 'crm.contact.update')
     ) AS s(step, status, block)`,
);
const seedMs = performance.now() - s0;
const load0 = os.loadavg()[0]!.toFixed(2);
const batchMs: number[] = [];
let read = 0;
let failed = 0;
let proposals = 0;
const f0 = performance.now();
for (;;) {
  const b0 = performance.now();
  const r = await groupFailedRuns(p, { batch });
  if (!r.runs) break;
  batchMs.push(performance.now() - b0);
  read += r.runs;
  failed += r.failures;
  proposals += r.proposals;
}
const totalMs = performance.now() - f0;
const groups = await p.guardianGroup.findMany({ select: { count: true, class: true } });
if (read !== runs || failed !== runs / 5) throw new Error(`read ${read} runs, ${failed} failures`);
const sorted = [...batchMs].sort((a, b) => a - b);
console.log(
  `\nConsumer on PGlite, ${runs} runs (${failed} failed attempts) seeded in ${(seedMs / 1000).toFixed(1)} s; load ${load0} → ${os.loadavg()[0]!.toFixed(2)}:\n`,
);
console.log("| measure | value |\n| --- | ---: |");
console.log(`| batch size (runs) | ${batch} |`);
console.log(
  `| batch time, median / p95 / max | ${median(batchMs).toFixed(1)} / ${sorted[Math.floor(sorted.length * 0.95)]!.toFixed(1)} / ${sorted[sorted.length - 1]!.toFixed(1)} ms |`,
);
console.log(`| total | ${totalMs.toFixed(0)} ms |`);
console.log(`| **per failed attempt** | **${((totalMs / failed) * 1000).toFixed(0)} µs** |`);
console.log(`| per run read | ${((totalMs / read) * 1000).toFixed(0)} µs |`);
console.log(
  `| groups formed / proposals written | ${groups.length} (${groups.map((g) => `${g.class} ${g.count}`).join(", ")}) / ${proposals} |`,
);
await db.close();
