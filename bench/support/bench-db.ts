/**
 * What the database benchmarks (`bench/trust`, `bench/dashboard`, `bench/prediction`,
 * `bench/guardian`) share: their command line, a migrated database of their own (PGlite
 * in-process, or a PostgreSQL database dropped and created anew), a workspace with its flows,
 * the side rows of seeded finished runs, and the fold loop that times a consumer batch by batch.
 * A benchmark keeps only what it measures.
 */
import os from "node:os";
import pg from "pg";
import type { Database } from "@/server/adapters/prisma";
import { compileFlow } from "@/server/domain/workflow/compile-flow";

/** The command line's `--name value` options and `--flag`s. */
export function benchArgs(argv: readonly string[] = process.argv.slice(2)) {
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    num: (name: string, fallback: number) => {
      const v = value(name);
      return v === undefined ? fallback : Number(v);
    },
    str: (name: string, fallback: string) => value(name) ?? fallback,
    has: (name: string) => argv.includes(name),
  };
}

/** The upper median (the middle of an odd count). */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The 1, 5 and 15 minute load averages. */
export const loadAvg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

/** Where a PostgreSQL benchmark fills its own database. */
export interface BenchPostgres {
  /** `postgres://user@host:port`, without a database. */
  server: string;
  /** The database, dropped and created anew unless `reuse`. */
  name: string;
  /** Keep the database the previous run filled (no drop, no migration). */
  reuse?: boolean;
}

/** Runs `sql` on the server's `postgres` database (the bench database's name checked first). */
async function adminQuery(postgres: BenchPostgres, ...sql: string[]) {
  if (!/^[a-z_][a-z0-9_]*$/.test(postgres.name)) throw new Error("--db: a plain database name");
  const admin = new pg.Client({ connectionString: `${postgres.server}/postgres` });
  await admin.connect();
  try {
    for (const s of sql) await admin.query(s);
  } finally {
    await admin.end();
  }
}

/** A migrated database: PGlite in-process, or with `postgres` a fresh PostgreSQL database. */
export async function openBenchDb(postgres?: BenchPostgres): Promise<Database> {
  const { migrate, openDatabase } = await import("@/server/adapters/prisma");
  if (!postgres) {
    const db = await openDatabase({ kind: "pglite" });
    await migrate(db.driver);
    return db;
  }
  if (!postgres.reuse)
    await adminQuery(
      postgres,
      `DROP DATABASE IF EXISTS ${postgres.name}`,
      `CREATE DATABASE ${postgres.name}`,
    );
  const db = await openDatabase({ kind: "postgres", url: `${postgres.server}/${postgres.name}` });
  if (!postgres.reuse) await migrate(db.driver);
  return db;
}

/** Drops a PostgreSQL bench database (closed first). */
export async function dropBenchDb(postgres: BenchPostgres): Promise<void> {
  await adminQuery(postgres, `DROP DATABASE IF EXISTS ${postgres.name}`);
}

/** A flow the workspace holds. */
export interface BenchFlow {
  name: string;
  /** The draft (and the version's DSL); compiled when `irKey` is given. */
  text: string;
  /** Stores the compiled IR in `FlowIr` under this key (runs point at it). */
  irKey?: string;
  /** Creates version 1.0.0 of the flow (with this `irHash` when given). */
  version?: { irHash?: string };
}

/**
 * A user, a workspace (`bench`) and a workflow per flow, in order.
 *
 * @example
 * const { ws, workflows } = await seedBenchWorkspace(p, [{ name: "Bench", text: FLOW }]);
 */
export async function seedBenchWorkspace(p: Database["prisma"], flows: BenchFlow[]) {
  const user = await p.user.create({
    data: { email: "bench@example.com", name: "Bench", passwordHash: "x" },
  });
  const ws = await p.workspace.create({ data: { slug: "bench", name: "Bench" } });
  const workflows: Array<{ id: string; versionId: string | null }> = [];
  for (const f of flows) {
    const wf = await p.workflow.create({
      data: { workspaceId: ws.id, name: f.name, draft: f.text, createdById: user.id },
    });
    const v = f.version
      ? await p.workflowVersion.create({
          data: {
            workflowId: wf.id,
            version: "1.0.0",
            dsl: f.text,
            authorId: user.id,
            ...(f.version.irHash ? { irHash: f.version.irHash } : {}),
          },
        })
      : null;
    if (f.irKey) {
      const compiled = compileFlow(f.text);
      if (!compiled.ir) throw new Error(`the bench flow ${f.name} does not compile`);
      await p.$executeRawUnsafe(
        `INSERT INTO "FlowIr" ("key", "ir") VALUES ($1, $2)`,
        f.irKey,
        JSON.stringify(compiled.ir),
      );
    }
    workflows.push({ id: wf.id, versionId: v?.id ?? null });
  }
  return { user, ws, workflows };
}

/**
 * The rows seeded runs leave besides their connector attempts: the pure step `shape` in each
 * run's `RunStepLog`, and for each failed run a dead letter and a finding on its `look` step.
 * With `workspaceId`, that workspace's runs only.
 */
export async function seedRunSideRows(p: Database["prisma"], workspaceId?: string) {
  const where = workspaceId ? `AND r."workspaceId" = $1::uuid` : "";
  const args = workspaceId ? [workspaceId] : [];
  await p.$executeRawUnsafe(
    `INSERT INTO "RunStepLog" ("runId", "firstSeq", "attempts", "finishSeqs")
     SELECT r.id, 1, json_build_array(json_build_object('i', 1, 'stepId', 'shape', 'attempt', 1,
              'status', 'succeeded', 'blockId', 'data.transform', 'durationMs', 0,
              'finishedAt', extract(epoch FROM r."finishedAt") * 1000)), '{1}'
       FROM "Run" r WHERE true ${where}`,
    ...args,
  );
  await p.$executeRawUnsafe(
    `INSERT INTO "DeadLetter" (id, "runId", "workspaceId", "stepId", "blockId", error, attempts, classification, "createdAt")
     SELECT gen_random_uuid(), r.id, r."workspaceId", 'look', 'crm.contact.get', '{}'::jsonb, 2, '{}'::jsonb, r."finishedAt"
       FROM "Run" r WHERE r.status = 'failed' ${where}`,
    ...args,
  );
  await p.$executeRawUnsafe(
    `INSERT INTO "RunFinding" (id, "runId", "workspaceId", kind, "stepId", "createdAt")
     SELECT gen_random_uuid(), r.id, r."workspaceId", 'output_invalid', 'look', r."finishedAt"
       FROM "Run" r WHERE r.status = 'failed' ${where}`,
    ...args,
  );
}

/** The final attempts seeded: the `StepAttempt` rows and one pure step per run. */
export async function seededAttempts(p: Database["prisma"], runs: number): Promise<number> {
  const rows = await p.$queryRawUnsafe<Array<{ n: bigint }>>(
    `SELECT count(*) AS n FROM "StepAttempt"`,
  );
  return Number(rows[0]!.n) + runs;
}

/**
 * Calls a consumer's `fold` until a batch folds no run, as its background loop would; each
 * batch's time (ms), the runs and attempts folded, and the whole time.
 */
export async function foldAll(fold: () => Promise<{ runs: number; attempts: number }>) {
  const times: number[] = [];
  let folded = 0;
  let attempts = 0;
  const start = performance.now();
  for (;;) {
    const b0 = performance.now();
    const r = await fold();
    if (!r.runs) break;
    times.push(performance.now() - b0);
    folded += r.runs;
    attempts += r.attempts;
  }
  return { times, folded, attempts, totalMs: performance.now() - start };
}
