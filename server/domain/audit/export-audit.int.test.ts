import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { verifyApiToken } from "@/server/domain/token/api-tokens";
import type { Db } from "@/server/domain/types";
import { adminActor, callerFor, makeUser, type TestUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { createContextInner } from "@/server/trpc/init";
import { authorizeContext } from "@/server/trpc/request-actor";
import { exportAudit, verificationHeader, ZExportAuditInput } from "./export-audit";
import { AUDIT_CSV_COLUMNS } from "./export-format";
import { appendAudit, entryHash } from "./ledger";

let db: Database;
let owner: TestUser;

async function readAll(lines: AsyncGenerator<string>) {
  let text = "";
  for await (const l of lines) text += l;
  return text;
}

const jsonl = (text: string) =>
  text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown> & { record: string });

/** Splits a CSV without quoted line breaks (the entries here have none) into cells. */
function csvRows(text: string) {
  return text
    .split("\r\n")
    .filter(Boolean)
    .map((line) => {
      const cells: string[] = [];
      let cell = "";
      let quoted = false;
      for (let i = 0; i < line.length; i++) {
        const c = line[i]!;
        if (quoted) {
          if (c === '"' && line[i + 1] === '"') {
            cell += '"';
            i++;
          } else if (c === '"') quoted = false;
          else cell += c;
        } else if (c === '"') quoted = true;
        else if (c === ",") {
          cells.push(cell);
          cell = "";
        } else cell += c;
      }
      cells.push(cell);
      return cells;
    });
}

interface JsonlEntry {
  seq: number;
  at: string;
  actor: { id: string | null; label: string };
  action: string;
  subject: { type: string; id: string };
  payload: unknown;
  prevHash: string;
  hash: string;
}

async function tamper(sql: string, params: unknown[] = []) {
  await db.driver.query(`ALTER TABLE "AuditEntry" DISABLE TRIGGER "AuditEntry_append_only"`);
  try {
    await db.driver.query(sql, params);
  } finally {
    await db.driver.query(`ALTER TABLE "AuditEntry" ENABLE TRIGGER "AuditEntry_append_only"`);
  }
}

beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(() => db?.close());

beforeEach(async () => {
  owner = await makeUser(db.prisma, "exporter"); // sign-up: entry #1
  const asOwner = callerFor(db.prisma, owner.user, owner.workspace.id);
  const a = await asOwner.workflow.create({ name: "Quote to cash" });
  await asOwner.workflow.create({ name: "Refunds" });
  await asOwner.workflow.delete({ id: a.id });
  await asOwner.token.create({ name: "exports" });
  // An entry whose text cells a spreadsheet would otherwise run as formulas.
  await db.prisma.$transaction((tx) =>
    appendAudit(
      tx,
      { userId: null, label: "=cmd|'/c calc'!A1", workspaceId: owner.workspace.id },
      {
        action: "+import",
        subjectType: "connector",
        subjectId: "@x",
        payload: { note: 'a, "quoted"\nvalue' },
      },
    ),
  );
});

describe("audit export", () => {
  it("exports JSON Lines headed by a passing verification, re-verifiable from the file alone", async () => {
    const total = await db.prisma.auditEntry.count({ where: { workspaceId: owner.workspace.id } });
    const file = await exportAudit(db.prisma, adminActor(owner), { format: "jsonl" });
    expect(file.contentType).toMatch(/^application\/jsonl/);
    expect(file.filename).toMatch(/^trustflow-audit-.+\.jsonl$/);
    expect(verificationHeader(file.verification)).toMatch(/^ok; entries=\d+; head=[0-9a-f]{64}$/);

    const [head, ...entries] = jsonl(await readAll(file.lines));
    expect(head).toMatchObject({
      record: "verification",
      ok: true,
      entries: total,
      upTo: total,
      workspaceId: owner.workspace.id,
      exportedBy: owner.user.email,
    });
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(head!.head).toBe(entries.at(-1)!.hash);

    // Every hashed field is in the file: recompute each hash and each link.
    let prev = "0".repeat(64);
    for (const e of entries as unknown as JsonlEntry[]) {
      const { actor, subject } = e;
      expect(e.prevHash).toBe(prev);
      expect(
        entryHash({
          workspaceId: owner.workspace.id,
          seq: e.seq,
          prevHash: e.prevHash,
          actorId: actor.id,
          actorLabel: actor.label,
          action: e.action,
          subjectType: subject.type,
          subjectId: subject.id,
          payload: e.payload,
          at: new Date(e.at),
        }),
      ).toBe(e.hash);
      prev = e.hash;
    }
  });

  it("exports CSV: header, verification row, one row per entry, formula cells defused", async () => {
    const total = await db.prisma.auditEntry.count({ where: { workspaceId: owner.workspace.id } });
    const file = await exportAudit(db.prisma, adminActor(owner), { format: "csv" });
    expect(file.contentType).toMatch(/^text\/csv/);
    const [header, verification, ...rows] = csvRows(await readAll(file.lines));
    expect(header).toEqual([...AUDIT_CSV_COLUMNS]);
    expect(verification!.slice(0, 2)).toEqual(["verification", String(total)]);
    expect(verification![5]).toBe("audit.verify.ok");
    expect(rows).toHaveLength(total);
    expect(rows.every((r) => r.length === AUDIT_CSV_COLUMNS.length && r[0] === "entry")).toBe(true);
    const created = rows.filter((r) => r[5] === "workflow.create").map((r) => JSON.parse(r[8]!));
    expect(created.map((p) => p.name)).toEqual(["Quote to cash", "Refunds"]);
    const hostile = rows.find((r) => r[6] === "connector")!;
    expect([hostile[3], hostile[5], hostile[7]]).toEqual(["'=cmd|'/c calc'!A1", "'+import", "'@x"]);
    expect(JSON.parse(hostile[8]!)).toEqual({ note: 'a, "quoted"\nvalue' });
  });

  it("applies the filters to the entries while the verification covers the whole chain", async () => {
    const total = await db.prisma.auditEntry.count({ where: { workspaceId: owner.workspace.id } });
    const file = await exportAudit(db.prisma, adminActor(owner), {
      format: "jsonl",
      subjectType: "workflow",
      action: "workflow.create",
    });
    const [head, ...entries] = jsonl(await readAll(file.lines));
    expect(head).toMatchObject({
      ok: true,
      entries: total,
      filters: { subjectType: "workflow", action: "workflow.create" },
    });
    expect(entries).toHaveLength(2);
    expect(entries.every((e) => e.action === "workflow.create")).toBe(true);
  });

  it("reads the ledger a page at a time", async () => {
    const pages: number[] = [];
    const counting = new Proxy(db.prisma, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (prop !== "auditEntry") return value;
        return new Proxy(value, {
          get(delegate, p) {
            const fn = Reflect.get(delegate, p);
            if (p !== "findMany") return fn;
            return (args: { take?: number }) => {
              if (args.take === 2) pages.push(args.take);
              return fn.call(delegate, args);
            };
          },
        });
      },
    }) as Db;
    const total = await db.prisma.auditEntry.count({ where: { workspaceId: owner.workspace.id } });
    const file = await exportAudit(
      counting,
      adminActor(owner),
      { format: "jsonl" },
      { pageSize: 2 },
    );
    expect(pages).toHaveLength(0); // nothing read before the file is consumed
    const lines = jsonl(await readAll(file.lines));
    expect(lines).toHaveLength(total + 1);
    expect(pages.length).toBe(Math.floor(total / 2) + 1);
  });

  it("stops at the head it verified: entries appended meanwhile wait for the next export", async () => {
    const file = await exportAudit(db.prisma, adminActor(owner), { format: "jsonl" });
    await callerFor(db.prisma, owner.user, owner.workspace.id).workflow.create({ name: "Later" });
    const [head, ...entries] = jsonl(await readAll(file.lines));
    expect(entries).toHaveLength(head!.entries as number);
    expect(entries.some((e) => (e.payload as { name?: string }).name === "Later")).toBe(false);
  });

  it("reports a tampered chain in both formats and still exports the evidence", async () => {
    await tamper(
      `UPDATE "AuditEntry" SET payload = '{"name":"forged"}' WHERE "workspaceId" = $1 AND seq = 2`,
      [owner.workspace.id],
    );
    const file = await exportAudit(db.prisma, adminActor(owner), { format: "jsonl" });
    expect(verificationHeader(file.verification)).toMatch(
      /^broken; entries=1; at=2; reason=hash-mismatch$/,
    );
    const [head, ...entries] = jsonl(await readAll(file.lines));
    expect(head).toMatchObject({
      record: "verification",
      ok: false,
      brokenAt: 2,
      reason: "hash-mismatch",
      message: "Entry #2 was changed after it was written.",
    });
    expect(entries.find((e) => e.seq === 2)!.payload).toEqual({ name: "forged" });

    const csv = await exportAudit(db.prisma, adminActor(owner), { format: "csv" });
    const [, verification] = csvRows(await readAll(csv.lines));
    expect(verification![5]).toBe("audit.verify.broken");
    expect(JSON.parse(verification![8]!)).toMatchObject({ ok: false, brokenAt: 2 });
  });

  it("exports only the actor's own workspace", async () => {
    const other = await makeUser(db.prisma, "other");
    const file = await exportAudit(db.prisma, adminActor(other), { format: "jsonl" });
    const [head, ...entries] = jsonl(await readAll(file.lines));
    expect(head).toMatchObject({ ok: true, entries: 1, workspaceId: other.workspace.id });
    expect(entries).toHaveLength(1);
    expect((entries[0]!.actor as { label: string }).label).toBe(other.user.email);
  });

  it("refuses an unknown format or a misspelt filter instead of exporting everything", () => {
    expect(ZExportAuditInput.safeParse({ format: "xml" }).error?.issues[0]?.message).toBe(
      "format must be csv or jsonl",
    );
    expect(ZExportAuditInput.safeParse({ format: "csv", subjecttype: "run" }).success).toBe(false);
    expect(ZExportAuditInput.safeParse({ format: "csv", subjectType: "run" }).success).toBe(true);
  });
});

describe("who may export", () => {
  it("needs a session or a valid token", async () => {
    const none = await authorizeContext(createContextInner({ db: db.prisma }), "viewer", "read");
    expect(none).toEqual({ ok: false, status: 401, message: "Sign in to continue." });
    const bad = await authorizeContext(
      createContextInner({ db: db.prisma, tokenError: "This API token was revoked on 1 Mar." }),
      "viewer",
      "read",
    );
    expect(bad).toMatchObject({ ok: false, status: 401, message: /revoked/ });
  });

  it("lets a member export their workspace, and no one else's", async () => {
    const member = await authorizeContext(
      createContextInner({
        db: db.prisma,
        user: { ...owner.user, name: "x" },
        workspaceId: owner.workspace.id,
      }),
      "viewer",
      "read",
    );
    expect(member).toMatchObject({
      ok: true,
      actor: { workspaceId: owner.workspace.id, via: "session" },
    });
    const stranger = await makeUser(db.prisma, "stranger");
    const refused = await authorizeContext(
      createContextInner({
        db: db.prisma,
        user: { ...stranger.user, name: "x" },
        workspaceId: owner.workspace.id,
      }),
      "viewer",
      "read",
    );
    expect(refused).toMatchObject({ ok: false, status: 403 });
  });

  it("accepts an API token (any scope implies read) bound to its own workspace", async () => {
    const asOwner = callerFor(db.prisma, owner.user, owner.workspace.id);
    const { secret } = await asOwner.token.create({ name: "reader", scopes: ["read"] });
    const check = await verifyApiToken(db.prisma, secret);
    if (!check.ok) throw new Error(check.message);
    const ok = await authorizeContext(
      createContextInner({ db: db.prisma, tokenActor: check.actor }),
      "viewer",
      "read",
    );
    expect(ok).toMatchObject({
      ok: true,
      actor: { via: "token", workspaceId: owner.workspace.id },
    });
    // A run-only token cannot do admin work, but reading the ledger is allowed.
    const runOnly = await asOwner.token.create({ name: "runner", scopes: ["run"] });
    const runCheck = await verifyApiToken(db.prisma, runOnly.secret);
    if (!runCheck.ok) throw new Error(runCheck.message);
    const ctx = createContextInner({ db: db.prisma, tokenActor: runCheck.actor });
    expect(await authorizeContext(ctx, "viewer", "read")).toMatchObject({ ok: true });
    expect(await authorizeContext(ctx, "admin", "admin")).toMatchObject({ ok: false, status: 403 });
    const other = await makeUser(db.prisma, "elsewhere");
    expect(
      await authorizeContext({ ...ctx, workspaceId: other.workspace.id }, "viewer", "read"),
    ).toMatchObject({ ok: false, status: 403, message: /another workspace/ });
  });
});
