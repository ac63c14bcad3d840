import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z, ZodError } from "zod";
import type { Database } from "@/server/adapters/prisma";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { callProcedure, listProcedures } from "@/server/testing/procedures";
import { openTestDatabase } from "@/server/testing/test-database";

/**
 * Malformed and oversized inputs to every procedure that takes input get BAD_REQUEST with field
 * errors, never a 500, and change nothing.
 */
let db: Database;
let user: Awaited<ReturnType<typeof makeUser>>;

async function snapshot() {
  const p = db.prisma;
  return JSON.stringify([
    await p.workflow.findMany({ orderBy: { id: "asc" } }),
    await p.membership.findMany({ orderBy: { id: "asc" } }),
    await p.apiToken.count(),
    await p.auditEntry.count(),
    await p.user.count(),
    await p.workspace.count(),
  ]);
}

beforeAll(async () => {
  db = await openTestDatabase();
  user = await makeUser(db.prisma, "bad-input");
  await callerFor(db.prisma, user.user).workflow.create({ name: "Existing" });
});
afterAll(() => db?.close());

const huge = "x".repeat(2_000_001);
const withInput = listProcedures().filter(
  (p) => p.input && Object.keys((p.input.properties as object) ?? {}).length,
);

/** Malformed variants of a valid-looking input: wrong types, oversized strings, junk. */
function malformed(props: Record<string, Record<string, unknown>>, required: string[]): unknown[] {
  const out: unknown[] = ["not an object", 42, [1, 2]];
  for (const [name, schema] of Object.entries(props)) {
    out.push({ [name]: { nested: true } });
    if (schema.type === "string") out.push({ [name]: huge });
    if (schema.format === "uuid") out.push({ [name]: "not-a-uuid" });
    if (schema.type === "integer") out.push({ [name]: 1.5 }, { [name]: -1e12 });
  }
  if (required.length) out.push({});
  return out;
}

describe("bad input", () => {
  for (const proc of withInput) {
    it(`${proc.path} rejects malformed input with field errors`, async () => {
      const before = await snapshot();
      const caller = callerFor(db.prisma, user.user);
      const props = proc.input!.properties as Record<string, Record<string, unknown>>;
      for (const input of malformed(props, (proc.input!.required as string[]) ?? [])) {
        const err = await callProcedure(caller, proc.path, input).then(
          () => null,
          (e: unknown) => e,
        );
        if (err === null) continue; // e.g. an optional field accepted; nothing else to check
        expect(err, `${proc.path}(${JSON.stringify(input)?.slice(0, 80)})`).toBeInstanceOf(
          TRPCError,
        );
        expect((err as TRPCError).code).toBe("BAD_REQUEST");
        const cause = (err as TRPCError).cause;
        expect(cause).toBeInstanceOf(ZodError);
        const flat = z.flattenError(cause as ZodError);
        expect(flat.formErrors.length + Object.keys(flat.fieldErrors).length).toBeGreaterThan(0);
      }
      expect(await snapshot()).toBe(before);
    });
  }

  it("names the field and says what is wrong", async () => {
    const caller = callerFor(db.prisma, user.user);
    const err = (await caller.workflow.create({ name: "" }).catch((e: unknown) => e)) as TRPCError;
    const flat = z.flattenError(err.cause as ZodError) as { fieldErrors: Record<string, string[]> };
    expect(flat.fieldErrors.name).toEqual(["Name the workflow."]);
  });
});
