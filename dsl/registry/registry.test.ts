import { describe, expect, it } from "vitest";
import type { BlockDefinition } from "../types";
import { primitiveBlocks } from "./primitives/index";
import {
  BlockRegistry,
  compareSemver,
  editDistance,
  parseBlockRef,
  validateBlockDefinition,
} from "./registry";

function block(over: Partial<BlockDefinition> = {}): BlockDefinition {
  return {
    id: "acme.ticket.create",
    version: "1.0.0",
    kind: "connector",
    title: "Create ticket",
    docs: "Creates a ticket.",
    inputSchema: {
      type: "object",
      properties: { title: { type: "string", minLength: 1 } },
      required: ["title"],
      additionalProperties: false,
    },
    outputSchema: { type: "object", properties: { id: { type: "string" } }, required: ["id"] },
    sideEffect: "write",
    baselineTrust: 0.9,
    system: "acme",
    example: { title: "Printer on fire" },
    ...over,
  };
}

const registry = BlockRegistry.withPrimitives();

describe("BlockRegistry.resolve", () => {
  it("resolves a pinned major to the newest version of that major", () => {
    const r = registry.resolve("billing.account.upsert@2");
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.block.version).toMatch(/^2\./);
      expect(r.deprecated).toBeUndefined();
    }
  });

  it("picks the newest minor within a major", () => {
    const reg = new BlockRegistry([
      block({ version: "1.0.0" }),
      block({ version: "1.10.0" }),
      block({ version: "1.2.3" }),
      block({ version: "2.0.0-beta.1" }),
    ]);
    expect(reg.get("acme.ticket.create", 1)?.version).toBe("1.10.0");
    expect(reg.get("acme.ticket.create")?.version).toBe("2.0.0-beta.1");
    const r = reg.resolve("acme.ticket.create@1");
    expect(r.ok && r.block.version).toBe("1.10.0");
  });

  it("resolves every major the reference example pins, without deprecation", () => {
    for (const uses of [
      "clm.contract.get@1",
      "billing.account.upsert@2",
      "billing.account.archive@1",
      "policy.check@1",
      "agent.draft@1",
      "crm.deal.update@1",
    ]) {
      const r = registry.resolve(uses);
      expect(r, uses).toMatchObject({ ok: true });
      expect(r.ok && r.deprecated, uses).toBeUndefined();
    }
  });

  it("N-1 and N-2 compile with a deprecation message", () => {
    for (const uses of ["billing.invoice.create@3", "billing.invoice.create@2"]) {
      const r = registry.resolve(uses);
      expect(r.ok, uses).toBe(true);
      if (r.ok) expect(r.deprecated).toMatch(/behind `billing\.invoice\.create@4`/);
    }
    const one = registry.resolve("billing.account.upsert@1");
    expect(one.ok && one.deprecated).toMatch(/customer/);
  });

  it("more than two majors behind is too-old with a migration hint", () => {
    const r = registry.resolve("billing.invoice.create@1");
    expect(r).toMatchObject({ ok: false, reason: "too-old" });
    if (!r.ok) expect(r.hint).toMatch(/^upgrade to billing\.invoice\.create@4: .*lines/);
  });

  it("a block marked deprecated on its newest major resolves with its message", () => {
    const reg = new BlockRegistry([block({ deprecated: { message: "use acme.issue.create@1" } })]);
    const r = reg.resolve("acme.ticket.create@1");
    expect(r).toMatchObject({ ok: true, deprecated: "use acme.issue.create@1" });
  });

  it("unknown block suggests the closest id", () => {
    const r = registry.resolve("crm.deal.updte@1");
    expect(r).toMatchObject({ ok: false, reason: "unknown-block" });
    if (!r.ok) expect(r.hint).toBe("did you mean `crm.deal.update`?");
    const far = registry.resolve("zzzz.qqqq.xxxx@1");
    expect(far).toMatchObject({ ok: false, reason: "unknown-block" });
    if (!far.ok) expect(far.hint).toBeUndefined();
  });

  it("missing or malformed major is unknown-major with a hint to pin", () => {
    const r = registry.resolve("agent.draft");
    expect(r).toMatchObject({
      ok: false,
      reason: "unknown-major",
      hint: "pin the major: `agent.draft@1`",
    });
    expect(registry.resolve("agent.draft@x")).toMatchObject({ ok: false, reason: "unknown-major" });
    expect(registry.resolve("agent.draft@1.2")).toMatchObject({
      ok: false,
      reason: "unknown-major",
    });
  });

  it("a major newer than the newest, or a gap, is unknown-major", () => {
    expect(registry.resolve("billing.invoice.create@9")).toMatchObject({
      ok: false,
      reason: "unknown-major",
    });
    const gap = new BlockRegistry([block({ version: "1.0.0" }), block({ version: "3.0.0" })]);
    const r = gap.resolve("acme.ticket.create@2");
    expect(r).toMatchObject({ ok: false, reason: "unknown-major" });
    if (!r.ok) expect(r.message).toContain("@3, @1");
  });
});

describe("BlockRegistry construction", () => {
  it("accepts custom workspace blocks next to primitives, including new majors of a primitive", () => {
    const reg = BlockRegistry.withPrimitives([
      block(),
      block({ id: "crm.deal.update", version: "2.0.0", system: "crm", compensation: undefined }),
    ]);
    expect(reg.has("acme.ticket.create")).toBe(true);
    expect(reg.resolve("crm.deal.update@1")).toMatchObject({ ok: true });
    expect(reg.get("crm.deal.update")?.version).toBe("2.0.0");
  });

  it("rejects a duplicate id+version", () => {
    expect(() => new BlockRegistry([block(), block()])).toThrow(
      /Duplicate block definition acme\.ticket\.create@1\.0\.0/,
    );
    expect(() =>
      BlockRegistry.withPrimitives([block({ id: "agent.draft", version: "1.3.0" })]),
    ).toThrow(/Duplicate/);
  });

  it("rejects invalid definitions with a clear error", () => {
    expect(() => new BlockRegistry([block({ baselineTrust: 1.5 })])).toThrow(
      /Invalid block definition acme\.ticket\.create@1\.0\.0:[\s\S]*baselineTrust/,
    );
    expect(() => new BlockRegistry([block({ compensation: "acme.ticket.delete@1" })])).toThrow(
      /compensation acme\.ticket\.delete@1: Unknown block/,
    );
  });

  it("list() returns the newest version per id, sorted by kind then id", () => {
    const list = registry.list();
    expect(new Set(list.map((b) => b.id)).size).toBe(list.length);
    expect(list.find((b) => b.id === "billing.invoice.create")?.version).toMatch(/^4\./);
    const kinds = list.map((b) => b.kind);
    const order = ["trigger", "connector", "control", "agent", "policy", "data", "code", "human"];
    expect(kinds.map((k) => order.indexOf(k))).toEqual(
      [...kinds.map((k) => order.indexOf(k))].sort((a, b) => a - b),
    );
    const connectors = list.filter((b) => b.kind === "connector").map((b) => b.id);
    expect(connectors).toEqual([...connectors].sort((a, b) => a.localeCompare(b)));
  });
});

describe("validateBlockDefinition", () => {
  it("accepts a valid definition", () => {
    expect(validateBlockDefinition(block())).toMatchObject({ ok: true });
  });

  it("reports shape errors by path", () => {
    const r = validateBlockDefinition({ ...block(), id: "Bad Id", kind: "robot" });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors.some((e) => e.startsWith("id:"))).toBe(true);
      expect(r.errors.some((e) => e.startsWith("kind:"))).toBe(true);
    }
  });

  it("rejects a schema that does not compile", () => {
    const r = validateBlockDefinition(block({ inputSchema: { type: "objekt" } }));
    expect(r).toMatchObject({ ok: false });
    if (!r.ok) expect(r.errors[0]).toMatch(/^inputSchema: not a valid JSON Schema/);
    const out = validateBlockDefinition(
      block({ outputSchema: { type: "object", minProperties: -1 } }),
    );
    expect(out).toMatchObject({ ok: false });
  });

  it("rejects an example that does not match the inputSchema", () => {
    const r = validateBlockDefinition(block({ example: { title: "" } }));
    expect(r).toMatchObject({ ok: false });
    if (!r.ok) expect(r.errors[0]).toMatch(/^example:/);
  });

  it("rejects compensation on a block that does not write", () => {
    const r = validateBlockDefinition(
      block({ sideEffect: "read", compensation: "acme.ticket.delete@1" }),
    );
    expect(r).toMatchObject({ ok: false });
  });

  it("keeps fields it does not know (the contract may grow)", () => {
    const r = validateBlockDefinition({ ...block(), icon: "ticket" });
    expect(r.ok && (r.block as unknown as { icon: string }).icon).toBe("ticket");
  });
});

describe("helpers", () => {
  it("compareSemver orders releases and prereleases", () => {
    const sorted = ["1.0.0", "1.0.0-rc.1", "1.0.0-alpha", "0.9.9", "1.10.0", "1.2.0"].sort(
      compareSemver,
    );
    expect(sorted).toEqual(["0.9.9", "1.0.0-alpha", "1.0.0-rc.1", "1.0.0", "1.2.0", "1.10.0"]);
  });
  it("parseBlockRef splits id and major", () => {
    expect(parseBlockRef("crm.deal.update@1")).toEqual({
      id: "crm.deal.update",
      major: 1,
      malformed: false,
    });
    expect(parseBlockRef("crm.deal.update")).toEqual({ id: "crm.deal.update", malformed: false });
  });
  it("editDistance is Levenshtein", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
  });
});

describe("primitive library", () => {
  const ids = new Set(primitiveBlocks.map((b) => b.id));

  it("every primitive validates", () => {
    for (const b of primitiveBlocks) {
      const r = validateBlockDefinition(b);
      expect(r.ok ? [] : r.errors, `${b.id}@${b.version}`).toEqual([]);
    }
  });

  it("has at least 35 block ids", () => {
    expect(ids.size).toBeGreaterThanOrEqual(35);
  });

  it("covers every row of the taxonomy", () => {
    const required = [
      ...["get", "create", "update", "search"].map((v) => `crm.contact.${v}`),
      "crm.company.get",
      "crm.company.upsert",
      ...["get", "create", "update"].map((v) => `crm.deal.${v}`),
      ...["get", "upsert", "archive"].map((v) => `billing.account.${v}`),
      ...["create", "get", "void", "send"].map((v) => `billing.invoice.${v}`),
      "billing.charge.create",
      "billing.refund.create",
      ...["get", "create", "renew", "terminate"].map((v) => `clm.contract.${v}`),
      ...["request", "get", "cancel"].map((v) => `clm.signature.${v}`),
      "http.request",
      ...["branch", "switch", "foreach", "parallel", "join", "wait", "subflow"].map(
        (v) => `control.${v}`,
      ),
      ...["classify", "extract", "summarize", "draft", "route"].map((v) => `agent.${v}`),
      "policy.check",
      "policy.consent",
      "data.transform",
      "data.json.repair",
      "data.schema.validate",
      "code.js",
      "code.python",
      "human.approval",
      "human.form",
      ...["webhook", "schedule", "manual"].map((v) => `trigger.${v}`),
    ];
    expect(required.filter((id) => !ids.has(id))).toEqual([]);
    const kinds = new Set(primitiveBlocks.map((b) => b.kind));
    expect([...kinds].sort()).toEqual(
      ["agent", "code", "connector", "control", "data", "human", "policy", "trigger"].sort(),
    );
  });

  it("every compensation points at an existing write block", () => {
    for (const b of primitiveBlocks.filter((x) => x.compensation)) {
      const r = registry.resolve(b.compensation!);
      expect(r.ok, `${b.id} -> ${b.compensation}`).toBe(true);
      if (r.ok) expect(r.block.sideEffect).toBe("write");
      expect(b.sideEffect).toBe("write");
    }
  });

  it("the write blocks named in the design have their compensation", () => {
    expect(registry.get("billing.account.upsert", 2)?.compensation).toBe(
      "billing.account.archive@1",
    );
    expect(registry.get("billing.invoice.create")?.compensation).toBe("billing.invoice.void@1");
    expect(registry.get("billing.charge.create")?.compensation).toBe("billing.refund.create@1");
    expect(registry.get("clm.signature.request")?.compensation).toBe("clm.signature.cancel@1");
    expect(registry.get("crm.deal.create")?.compensation).toBe("crm.deal.delete@1");
  });

  it("side effects, systems and trust baselines follow the conventions", () => {
    for (const b of primitiveBlocks) {
      const verb = b.id.split(".").at(-1)!;
      if (b.kind === "connector") {
        expect(["crm", "billing", "clm", "http"], b.id).toContain(b.system);
        expect(b.baselineTrust, b.id).toBeGreaterThanOrEqual(0.95);
        if (["get", "search"].includes(verb)) expect(b.sideEffect, b.id).toBe("read");
        if (["create", "update", "upsert", "delete"].includes(verb))
          expect(b.sideEffect, b.id).toBe("write");
      }
      if (b.kind === "agent") {
        expect(b.system).toBe("llm");
        expect(b.baselineTrust).toBeGreaterThanOrEqual(0.8);
        expect(b.baselineTrust).toBeLessThanOrEqual(0.92);
      }
      if (b.kind === "control" || b.kind === "data") expect(b.sideEffect, b.id).toBe("none");
      if (b.kind === "code") expect(b.baselineTrust).toBe(0.85);
    }
  });

  it("old majors carry a deprecation message explaining the migration", () => {
    for (const id of ["billing.invoice.create", "billing.account.upsert"]) {
      const [, ...old] = registry.versions(id);
      expect(old.length).toBeGreaterThan(0);
      for (const b of old) expect(b.deprecated?.message, `${b.id}@${b.version}`).toBeTruthy();
    }
  });
});
