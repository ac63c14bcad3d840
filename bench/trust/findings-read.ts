/**
 * `npm run bench:trust-findings`: what reading the findings in effect adds to a trust read
 * (issue 17 item 1). `listTrust` reads the kind's `TrustCount` rows and, beside them, the
 * workspace's anomalies not marked expected that were last seen within the findings' horizon
 * and its open guardian groups (`readFindings`, `server/domain/trust/adjustments.ts`): two
 * bounded, indexed reads, and a third for the IRs the groups failed on that the process has not
 * cached (their block versions; this bench's groups name no stored run, so that read finds
 * nothing and runs at every call). Figures for 500 block versions' counts and
 * - no findings at all (the baseline: the read as it was before findings);
 * - 200 anomalies and 100 guardian groups in effect, behind 20,000 older anomalies and 5,000
 *   older groups (outside the horizon: the index skips them);
 * - the caps: 2,000 anomalies and 500 groups in effect (what a read takes at most).
 * Median and p95 of `--reps` reads, on PGlite in-process or, with `--pg <url>`, PostgreSQL.
 *   node --import tsx bench/trust/findings-read.ts [--reps 50] [--pg postgres://…/db]
 */
import { loadavg } from "node:os";
import { listTrust } from "@/server/domain/trust/list-trust";
import { readFindings } from "@/server/domain/trust/adjustments";
import { trustConfig } from "@/server/domain/trust/score";

const { migrate, openDatabase } = await import("@/server/adapters/prisma");

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const reps = Number(opt("--reps") ?? 50);
const pg = opt("--pg");
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

const db = pg
  ? await openDatabase({ kind: "postgres", url: pg, poolSize: 2 })
  : await openDatabase({ kind: "pglite" });
await migrate(db.driver);
const sql = (text: string, ...values: unknown[]) => db.prisma.$executeRawUnsafe(text, ...values);
const DAY = 86_400_000;

async function workspace(slug: string) {
  const ws = await db.prisma.workspace.create({
    data: { slug: `${slug}-${Date.now()}`, name: slug },
  });
  await sql(
    `INSERT INTO "TrustCount" ("workspaceId", kind, key, label, baseline, successes, failures, attempts, at)
     SELECT $1::uuid, 'block', 'bench.block' || g || '@1.0.0', 'b', 0.9, 80, 5, 85, now()
       FROM generate_series(1, 500) g`,
    ws.id,
  );
  return ws.id;
}

/** `n` anomalies on the workspace's blocks, last seen `ageMs` ago (spread over an hour). */
async function anomalies(ws: string, n: number, ageMs: number) {
  await sql(
    `INSERT INTO "Anomaly" (id, "workspaceId", kind, key, label, metric, rule, observed, n,
            "windowStart", "detectedAt", "lastSeenAt")
     SELECT gen_random_uuid(), $1::uuid, 'block', 'bench.block' || (g % 500 + 1) || '@1.0.0', 'b',
            'error_rate', 'robust-z', 0.5, 40, t, t, t
       FROM generate_series(1, $2::int) g,
            LATERAL (SELECT now() - make_interval(secs => ($3::float8 + (g % 3600) * 1000) / 1000)) x(t)`,
    ws,
    n,
    ageMs,
  );
}

/** `n` open guardian groups (5 failures each) on the workspace's blocks, last seen `ageMs` ago. */
async function groups(ws: string, n: number, ageMs: number) {
  await sql(
    `INSERT INTO "GuardianGroup" (id, "workspaceId", "flowName", "stepId", "blockId", operation,
            "errorName", "strictKey", template, "rulesVersion", class, count, "firstSeenAt",
            "lastSeenAt", "firstRunId", "lastRunId", "failingIrHash")
     SELECT gen_random_uuid(), $1::uuid, 'flow', 's', 'bench.block' || (g % 500 + 1), 'op',
            'HttpError', 'k' || g, 'tpl', 1, 'resilience', 5, x.t - interval '1 hour', x.t,
            gen_random_uuid(), gen_random_uuid(), 'h'
       FROM generate_series(1, $2::int) g,
            LATERAL (SELECT now() - make_interval(secs => $3::float8 / 1000)) x(t)`,
    ws,
    n,
    ageMs,
  );
}

async function time(ws: string) {
  const config = trustConfig();
  const all: number[] = [];
  const own: number[] = [];
  await listTrust(db.prisma, ws, "block", Date.now());
  for (let i = 0; i < reps; i++) {
    let t = performance.now();
    await listTrust(db.prisma, ws, "block", Date.now());
    all.push(performance.now() - t);
    t = performance.now();
    await readFindings(db.prisma, ws, Date.now(), config);
    own.push(performance.now() - t);
  }
  return { all, own };
}

const cases: Array<[string, (ws: string) => Promise<void>]> = [
  ["no findings (baseline)", async () => {}],
  [
    "200 anomalies + 100 groups in effect, 20,000 + 5,000 older",
    async (ws) => {
      await anomalies(ws, 20_000, 30 * DAY);
      await groups(ws, 5_000, 30 * DAY);
      await anomalies(ws, 200, 0);
      await groups(ws, 100, 0);
    },
  ],
  [
    "at the caps: 2,000 anomalies + 500 groups in effect",
    async (ws) => {
      await anomalies(ws, 2_000, 0);
      await groups(ws, 500, 0);
    },
  ],
];

console.log(
  `trust read with findings, ${pg ? "PostgreSQL" : "PGlite"}, 500 block versions, ${reps} reads; load ${loadavg()
    .map((x) => x.toFixed(1))
    .join(" ")}`,
);
console.log("| case | listTrust median | p95 | readFindings median | p95 |");
for (const [name, seed] of cases) {
  const ws = await workspace("bench-findings");
  await seed(ws);
  await sql(`ANALYZE`);
  const { all, own } = await time(ws);
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  console.log(
    `| ${name} | ${ms(quantile(all, 0.5))} | ${ms(quantile(all, 0.95))} | ${ms(quantile(own, 0.5))} | ${ms(quantile(own, 0.95))} |`,
  );
}
await db.close();
