import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checksum,
  loadMigrations,
  migrate,
  openDatabase,
  type Database,
  type Migration,
} from "@/server/adapters/prisma";
import { verifyAudit } from "@/server/domain/audit/ledger";
import { seedDemo } from "@/server/domain/seed/seed-demo";
import { createApiToken } from "@/server/domain/token/api-tokens";
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import { engineFor, runToEnd } from "@/server/testing/engine";
import { adminActor, callerFor, makeUser, type TestUser } from "@/server/testing/fixtures";
import { inPostgresPass } from "@/server/testing/passes";
import { startEmbeddedPostgres } from "./cluster";
import { prepareEmbeddedDatabase, type PrepareOptions } from "./import-pglite";

/**
 * The PostgreSQL server the imports go into (its maintenance database's superuser URL): the
 * embedded server of cluster.ts on a temporary data directory, as `npm start` imports into it.
 * It does not depend on TEST_DB: these run once, in the PGlite pass (which `npm test` runs beside
 * the PostgreSQL one; until 2026-12 the PostgreSQL pass imported into its own server too, the
 * same code on a second target, ~37 s of a worker).
 */
async function startTarget(): Promise<{ adminUrl: string; stop(): Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "tf-import-target-"));
  const server = await startEmbeddedPostgres({ dataDir });
  return {
    adminUrl: server.adminUrl,
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
/** Values of the types a copy could bend: each must arrive byte for byte. */
const PROBE: Migration = migration(
  "29990101000000_import_probe",
  `CREATE TYPE "ImportMood" AS ENUM ('calm', 'it''s', 'ünïcode ✓');
CREATE TABLE "ImportProbe" (
  "id" BIGSERIAL PRIMARY KEY,
  "j" JSON,
  "jb" JSONB,
  "b" BYTEA,
  "tags" TEXT[],
  "mood" "ImportMood",
  "ts" TIMESTAMP(3),
  "tstz" TIMESTAMPTZ(3),
  "big" BIGINT,
  "dec" DECIMAL(38, 18),
  "flag" BOOLEAN,
  "s" TEXT,
  "f" DOUBLE PRECISION,
  "slen" INTEGER GENERATED ALWAYS AS (length("s")) STORED
);
CREATE TABLE "ImportIdentity" ("id" INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "note" TEXT NOT NULL);`,
);
/** A migration the PGlite never had: applied by `migrate()` after the import. */
const LATER: Migration = migration(
  "29990102000000_import_later",
  `ALTER TABLE "ImportProbe" ADD COLUMN "later" TEXT NOT NULL DEFAULT 'later';`,
);
const BULK = 3_000;

function migration(name: string, sql: string): Migration {
  return { name, sql, checksum: checksum(sql) };
}

const FLOW = `flow: import-probe
version: 1.0.0
inputs:
  n: { type: number }
steps:
  - id: shape
    uses: data.transform@1
    with:
      fields:
        doubled: "inputs.n * 2"
        quoted: "'it\\\\'s \\"quoted\\" ✓ ' + string(inputs.n)"
outputs:
  doubled: \${{ steps.shape.output.doubled }}
`;

let target: { adminUrl: string; stop(): Promise<void> };
let work: string;
let pgliteDir: string;
let migrations: Migration[];
const databases: string[] = [];
/** What the PGlite database held, read before the imports. */
let sourceCounts: Record<string, number>;
let sourceProbe: string[];
let sourceSequence: bigint;
let owner: TestUser;
let workspaceIds: string[];

const newName = () => {
  const name = `tf_imp_${randomBytes(5).toString("hex")}`;
  databases.push(name);
  return name;
};

function urlOf(name: string): string {
  const u = new URL(target.adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function adminQuery<T extends pg.QueryResultRow>(sql: string, params?: unknown[]) {
  const c = new pg.Client({ connectionString: target.adminUrl });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

async function databasesNamed(name: string): Promise<string[]> {
  const rows = await adminQuery<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname IN ($1, $2) ORDER BY 1",
    [name, `${name}_import`],
  );
  return rows.map((r) => r.datname);
}

/** The domain's verifyAudit over a Prisma client on the imported database, as the caller does. */
const verifyWithPrisma: NonNullable<PrepareOptions["verifyAudit"]> = async (url, ids) => {
  const db = await openDatabase({ kind: "postgres", url, poolSize: 2 });
  try {
    const out = [];
    for (const id of ids) {
      const r = await verifyAudit(db.prisma, id);
      out.push({ workspaceId: id, ok: r.ok, ...(r.ok ? {} : { message: r.message }) });
    }
    return out;
  } finally {
    await db.close();
  }
};

function prepare(database: string, opts: Partial<PrepareOptions> = {}) {
  return prepareEmbeddedDatabase({
    adminUrl: target.adminUrl,
    database,
    pgliteDir,
    verifyAudit: verifyWithPrisma,
    migrations: [...migrations, PROBE, LATER],
    ...opts,
  });
}

const PROBE_SQL = `SELECT row_to_json(p)::text AS r FROM (
  SELECT id, j::text AS j, jb::text AS jb, encode(b, 'hex') AS b, tags::text AS tags,
         mood::text AS mood, ts::text AS ts, (tstz AT TIME ZONE 'UTC')::text AS tstz, big::text AS big,
         dec::text AS dec, flag, s, f::text AS f, slen
  FROM "ImportProbe" WHERE id <= 3 ORDER BY id) p`;

/** The tricky rows as PostgreSQL prints them (what PROBE_SQL returns on both sides). */
const EXPECTED_PROBE = [
  {
    id: 1,
    j: '{"b" : 1,  "a":[1, 2.50, "x\\"y"], "k": 1, "k": 2}', // json keeps spacing and duplicates
    jb: '{"a": {"deep": [true, null, 10000000000, "é 😀"]}, "z": 1}',
    b: "00ff27225c0a",
    tags: '{a,NULL,"with \\"quote\\"","back\\\\slash","",ünï,"{brace}","comma,here"}',
    mood: "it's",
    ts: "1999-12-31 23:59:59.999",
    tstz: "2024-02-29 07:04:56.789",
    big: "9223372036854775807",
    dec: "12345678901234567890.123456789012345678",
    flag: false,
    s: `O'Brien said "hi" \\ back\\slash\n\ttab ünï 😀`,
    f: "1.7976931348623157e+308",
    slen: 41,
  },
  {
    id: 2,
    j: "[]",
    jb: '"just a string"',
    b: "",
    tags: "{}",
    mood: "ünïcode ✓",
    ts: "0001-01-01 00:00:00",
    tstz: "infinity",
    big: "-9223372036854775808",
    dec: "-0.000000000000000001",
    flag: true,
    s: "",
    f: "NaN",
    slen: 0,
  },
  {
    id: 3,
    j: null,
    jb: null,
    b: null,
    tags: null,
    mood: null,
    ts: null,
    tstz: null,
    big: null,
    dec: null,
    flag: null,
    s: null,
    f: "-Infinity",
    slen: null,
  },
];

/** A PGlite data directory as a user's would be: migrated, demo seeded, runs and their ledger. */
async function seedPglite(dir: string) {
  const db: Database = await openDatabase({ kind: "pglite", dataDir: dir });
  try {
    await migrate(db.driver, [...migrations, PROBE]);
    await seedDemo(db.prisma);
    owner = await makeUser(db.prisma, "importer");
    await createApiToken(db.prisma, adminActor(owner), {
      name: "ci",
      scopes: ["read", "run"],
      expiresInDays: 30,
    });
    await db.prisma.agentUsage.create({
      data: {
        workspaceId: owner.workspace.id,
        runId: "r1",
        stepId: "s1",
        attempt: 1,
        model: "m",
        tokensIn: 12,
        tokensOut: 34,
        costUsd: "0.0000012345",
      },
    });
    const flow = compileFlow(FLOW);
    expect(flow.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const engine = engineFor(db);
    const demo = await db.prisma.workspace.findFirstOrThrow({ where: { slug: "demo" } });
    for (const [i, ws] of [owner.workspace.id, demo.id, owner.workspace.id].entries()) {
      const run = await runToEnd(engine, { workspaceId: ws, ir: flow.ir!, inputs: { n: i } });
      expect(run.status).toBe("succeeded");
    }
    await db.driver.query(
      `INSERT INTO "ImportProbe" (j, jb, b, tags, mood, ts, tstz, big, dec, flag, s, f) VALUES
       ('{"b" : 1,  "a":[1, 2.50, "x\\"y"], "k": 1, "k": 2}',
        '{"z": 1, "a": {"deep": [true, null, 1.0e10, "\\u00e9 😀"]}}',
        '\\x00ff27225c0a'::bytea,
        ARRAY['a', NULL, 'with "quote"', 'back\\slash', '', 'ünï', '{brace}', 'comma,here'],
        'it''s', '1999-12-31 23:59:59.999', '2024-02-29 12:34:56.789+05:30',
        9223372036854775807, '12345678901234567890.123456789012345678', false,
        E'O''Brien said "hi" \\\\ back\\\\slash\\n\\ttab ünï 😀', 1.7976931348623157e308),
       ('[]', '"just a string"', '\\x'::bytea, '{}', 'ünïcode ✓', '0001-01-01 00:00:00',
        'infinity', -9223372036854775808, '-0.000000000000000001', true, '', 'NaN'),
       (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '-Infinity')`,
    );
    // Bulk rows, several batches; the last ids deleted so the sequence is ahead of max(id).
    await db.driver.query(
      `INSERT INTO "ImportProbe" (j, jb, tags, mood, tstz, big, dec, flag, s, f)
       SELECT json_build_object('i', g), jsonb_build_object('i', g, 'pad', repeat('x', g % 300)),
              ARRAY[g::text], 'calm', '2026-01-01T00:00:00Z'::timestamptz + g * interval '1 ms',
              g, g / 7.0, g % 2 = 0, 'row ' || g, g / 3.0
       FROM generate_series(1, ${BULK}) g`,
    );
    await db.driver.query(`DELETE FROM "ImportProbe" WHERE id > ${BULK}`);
    await db.driver.query(
      `INSERT INTO "ImportIdentity" (note) SELECT 'n' || g FROM generate_series(1, 5) g`,
    );

    const tables = await db.driver.query<{ table: string }>(
      `SELECT table_name AS table FROM information_schema.tables
       WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations'`,
    );
    sourceCounts = {};
    for (const { table } of tables) {
      const [row] = await db.driver.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${table}"`,
      );
      sourceCounts[table] = row!.n;
    }
    sourceProbe = (await db.driver.query<{ r: string }>(PROBE_SQL)).map((r) => r.r);
    const [seq] = await db.driver.query<{ v: string }>(
      `SELECT last_value::text AS v FROM "ImportProbe_id_seq"`,
    );
    sourceSequence = BigInt(seq!.v);
    workspaceIds = (await db.prisma.workspace.findMany({ select: { id: true } })).map((w) => w.id);
  } finally {
    await db.close();
  }
}

describe.skipIf(inPostgresPass)("importing a PGlite data directory", () => {
  beforeAll(async () => {
    target = (await startTarget())!;
    migrations = await loadMigrations();
    work = mkdtempSync(path.join(tmpdir(), "tf-import-"));
    pgliteDir = path.join(work, "pglite");
    await seedPglite(pgliteDir);
  });

  afterAll(async () => {
    if (!target) return;
    for (const name of databases) {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await adminQuery(`DROP DATABASE IF EXISTS ${name}_import WITH (FORCE)`);
    }
    await target.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("copies every row, verifies every chain, and the app then works on it", async () => {
    const name = newName();
    const files = readdirSync(pgliteDir).sort();
    const lines: { msg: string; fields?: Record<string, unknown> }[] = [];
    const result = await prepare(name, { log: (msg, fields) => lines.push({ msg, fields }) });

    expect(result.created).toBe(true);
    const report = result.imported!;
    expect(report.from).toBe(pgliteDir);
    expect(report.migrations).toEqual([...migrations, PROBE].map((m) => m.name));
    expect(Object.fromEntries(report.tables.map((t) => [t.table, t.rows]))).toEqual(sourceCounts);
    expect(report.rows).toBe(Object.values(sourceCounts).reduce((a, b) => a + b, 0));
    expect(report.workspacesVerified).toBe(workspaceIds.length);
    expect(sourceCounts.AuditEntry).toBeGreaterThan(5);
    // The seeded runs' pure steps and events are recorded compactly, one RunStepLog row per
    // checkpoint (issue 14), not as StepAttempt and RunEvent rows.
    expect(sourceCounts.RunStepLog).toBeGreaterThanOrEqual(3);
    expect(sourceCounts.ImportProbe).toBe(BULK);
    expect(lines.map((l) => l.msg)).toEqual([
      "importing the PGlite database into PostgreSQL",
      "imported the PGlite database into PostgreSQL",
    ]);
    expect(lines[1]!.fields).toMatchObject({ rows: report.rows, tables: report.tables.length });
    // The PGlite directory is still there, as it was.
    expect(readdirSync(pgliteDir).sort()).toEqual(files);
    expect(await databasesNamed(name)).toEqual([name]);

    const db = await openDatabase({ kind: "postgres", url: urlOf(name), poolSize: 3 });
    try {
      // Counted again through the app's own connection.
      for (const [table, n] of Object.entries(sourceCounts)) {
        const [row] = await db.driver.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${table}"`,
        );
        expect(row!.n, table).toBe(n);
      }
      // Every tricky value, as the source's server printed it.
      const probe = (await db.driver.query<{ r: string }>(PROBE_SQL)).map((r) => r.r);
      expect(probe).toEqual(sourceProbe);
      expect(probe.map((r) => JSON.parse(r) as unknown)).toEqual(EXPECTED_PROBE);
      // Through Prisma: BigInt, Decimal, text[] and timestamps.
      const usage = await db.prisma.agentUsage.findFirstOrThrow();
      expect(usage.costUsd.toString()).toBe("0.0000012345");
      const token = await db.prisma.apiToken.findFirstOrThrow({ where: { name: "ci" } });
      expect(token.scopes).toEqual(["read", "run"]);

      // Every chain verifies on the imported database.
      for (const id of workspaceIds) {
        expect(await verifyAudit(db.prisma, id), id).toMatchObject({ ok: true });
      }

      // The caller migrates the rest, as on every start.
      expect((await migrate(db.driver, [...migrations, PROBE, LATER])).applied).toEqual([
        LATER.name,
      ]);

      // The app works on it: runs list, new runs extend the chains, sequences continue.
      const api = callerFor(db.prisma, owner.user, owner.workspace.id);
      const listed = await api.run.list();
      expect(listed.items).toHaveLength(2);
      const flow = compileFlow(FLOW);
      const before = await db.prisma.runStepLog.aggregate({ _max: { id: true } });
      const run = await runToEnd(engineFor(db), {
        workspaceId: owner.workspace.id,
        ir: flow.ir!,
        inputs: { n: 41 },
      });
      expect(run.status).toBe("succeeded");
      const attempt = await db.prisma.runStepLog.findFirstOrThrow({ where: { runId: run.id } });
      expect(attempt.id).toBeGreaterThan(before._max.id!);
      expect(await verifyAudit(db.prisma, owner.workspace.id)).toMatchObject({ ok: true });
      const [next] = await db.driver.query<{ id: string }>(
        `INSERT INTO "ImportProbe" (s) VALUES ('new') RETURNING id::text AS id`,
      );
      expect(BigInt(next!.id)).toBe(sourceSequence + 1n); // past the deleted ids too
      const [identity] = await db.driver.query<{ id: number }>(
        `INSERT INTO "ImportIdentity" (note) VALUES ('new') RETURNING id`,
      );
      expect(identity!.id).toBe(6);
    } finally {
      await db.close();
    }

    // A second start finds the database.
    expect(await prepare(name)).toEqual({ created: false, imported: null });
  });

  it("a chain that does not verify leaves nothing behind; the next start imports once", async () => {
    const name = newName();
    const dir = path.join(work, "tampered");
    cpSync(pgliteDir, dir, { recursive: true });
    // Only a superuser could do this: the append-only trigger is off while the entry changes.
    const db = await PGlite.create(dir);
    try {
      await db.exec(`ALTER TABLE "AuditEntry" DISABLE TRIGGER "AuditEntry_append_only";
        UPDATE "AuditEntry" SET "actorLabel" = 'mallory' WHERE seq = 1 AND "workspaceId" = '${owner.workspace.id}';
        ALTER TABLE "AuditEntry" ENABLE TRIGGER "AuditEntry_append_only";`);
    } finally {
      await db.close();
    }
    await expect(prepare(name, { pgliteDir: dir })).rejects.toThrow(
      new RegExp(
        `audit chain of workspace ${owner.workspace.id} does not verify after the copy: ` +
          `Entry #1 was changed after it was written. Nothing was changed`,
      ),
    );
    expect(await databasesNamed(name)).toEqual([]);

    // The cause removed (the intact directory back in place); a crash had left a scratch
    // database behind; two processes start at once.
    await adminQuery(`CREATE DATABASE ${name}_import`);
    const imports: string[] = [];
    const log = (msg: string) => {
      if (msg.startsWith("importing")) imports.push(msg);
    };
    const results = await Promise.all([prepare(name, { log }), prepare(name, { log })]);
    expect(results.map((r) => r.created).sort()).toEqual([false, true]);
    const [imported] = results.filter((r) => r.imported !== null);
    expect(imported?.imported?.workspacesVerified).toBe(workspaceIds.length);
    expect(results.filter((r) => r.imported === null)).toEqual([
      { created: false, imported: null },
    ]);
    expect(imports).toHaveLength(1);
    expect(await databasesNamed(name)).toEqual([name]);
  });

  it("refuses migrations it does not know or that were edited, changing nothing", async () => {
    const name = newName();
    await expect(prepare(name, { migrations })).rejects.toThrow(
      /has migration 29990101000000_import_probe applied.*Nothing was changed/,
    );
    const edited = { ...PROBE, checksum: checksum(`${PROBE.sql}\n`) };
    await expect(prepare(name, { migrations: [...migrations, edited] })).rejects.toThrow(
      /the migration was edited.*Nothing was changed/,
    );
    expect(await databasesNamed(name)).toEqual([]);
  });

  it("without a PGlite directory: a plain, empty database", async () => {
    const absent = newName();
    expect(await prepare(absent, { pgliteDir: path.join(work, "absent") })).toEqual({
      created: true,
      imported: null,
    });
    const emptyDir = path.join(work, "empty");
    mkdirSync(emptyDir);
    const empty = newName();
    expect(await prepare(empty, { pgliteDir: emptyDir })).toEqual({
      created: true,
      imported: null,
    });
    expect(await databasesNamed(absent)).toEqual([absent]);
    expect(readdirSync(emptyDir)).toEqual([]);
  });

  it("a directory that is not PGlite's is refused with the ways out, nothing changed", async () => {
    const dir = path.join(work, "not-pglite");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "notes.txt"), "hello");
    const name = newName();
    const failure = prepare(name, { pgliteDir: dir });
    await expect(failure).rejects.toThrow(dir);
    await expect(failure).rejects.toThrow(/Nothing was changed.*DATABASE_URL.*move the directory/);
    expect(await databasesNamed(name)).toEqual([]);
    expect(readdirSync(dir)).toEqual(["notes.txt"]);

    const broken = path.join(work, "broken");
    mkdirSync(broken);
    writeFileSync(path.join(broken, "PG_VERSION"), "9\n");
    await expect(prepare(name, { pgliteDir: broken })).rejects.toThrow(
      /Cannot import the PGlite data directory .*broken.*PG_VERSION: 9\).*Nothing was changed/,
    );
    expect(await databasesNamed(name)).toEqual([]);
  });
});
