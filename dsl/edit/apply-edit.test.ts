import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { applyEdit, renamePosition, type FlowEdit } from "./apply-edit";

const example = readFileSync(new URL("../testdata/quote-to-cash.yaml", import.meta.url), "utf8");

/** Comment text of every line holding one (full-line or trailing). */
function comments(text: string): string[] {
  return text
    .split("\n")
    .map((l) => /(?:^|\s)(#.*)$/.exec(l)?.[1])
    .filter((c): c is string => c !== undefined);
}

function ok(text: string, edit: FlowEdit): string {
  const r = applyEdit(text, edit);
  if (!r.ok) throw new Error(r.error);
  return r.text;
}

type Step = { id: string; needs?: string[]; with?: Record<string, unknown>; [k: string]: unknown };
type Flow = { steps: Step[]; ui?: { positions?: Record<string, number[]> }; [k: string]: unknown };
const model = (text: string) => parse(text) as Flow;
const step = (text: string, id: string) => model(text).steps.find((s) => s.id === id);

describe("applyEdit on quote-to-cash", () => {
  const allComments = comments(example);

  it("the fixture has comments to protect", () => {
    expect(allComments.length).toBeGreaterThanOrEqual(8);
  });

  it("add-step appends a step, keeps blank-line layout and records its position", () => {
    const out = ok(example, {
      type: "add-step",
      step: {
        id: "invoice",
        uses: "billing.invoice.create@4",
        needs: ["account"],
        with: { currency: "EUR" },
      },
      position: [200, 420],
    });
    const m = model(out);
    expect(m.steps.at(-1)).toEqual({
      id: "invoice",
      uses: "billing.invoice.create@4",
      needs: ["account"],
      with: { currency: "EUR" },
    });
    expect(m.ui?.positions?.invoice).toEqual([200, 420]);
    expect(out).toContain(
      "\n\n  - id: invoice\n    uses: billing.invoice.create@4\n    needs: [account]\n",
    );
    expect(out).toContain("    invoice: [200, 420]\n");
    expect(comments(out)).toEqual(allComments);
    expect(out.startsWith(example.slice(0, example.indexOf("  - id: deal")))).toBe(true);
  });

  it("add-step after a given step inserts it there", () => {
    const out = ok(example, {
      type: "add-step",
      step: { id: "log", uses: "data.transform@1" },
      after: "contract",
    });
    expect(model(out).steps.map((s) => s.id)).toEqual([
      "contract",
      "log",
      "account",
      "credit-check",
      "welcome",
      "deal",
    ]);
    expect(comments(out)).toEqual(allComments);
  });

  it("remove-step drops the step, its needs edges and its position", () => {
    const out = ok(example, { type: "remove-step", id: "account" });
    const m = model(out);
    expect(m.steps.map((s) => s.id)).toEqual(["contract", "credit-check", "welcome", "deal"]);
    expect(step(out, "credit-check")?.needs).toBeUndefined();
    expect(step(out, "deal")?.needs).toEqual(["welcome"]);
    expect(m.ui?.positions).toEqual({ contract: [0, 0] });
    // Only the comment on the removed step's own line goes.
    expect(comments(out)).toEqual(allComments.filter((c) => !c.includes("saga rollback")));
  });

  it("rename-step updates needs, expressions, CEL rules and positions", () => {
    const out = ok(example, { type: "rename-step", from: "contract", to: "signed-contract" });
    expect(out).not.toMatch(/steps\.contract\b/);
    expect(step(out, "account")?.needs).toEqual(["signed-contract"]);
    expect(step(out, "account")?.with?.customer).toBe(
      "${{ steps.signed-contract.output.customer }}",
    );
    expect(step(out, "deal")?.with?.id).toBe("${{ steps.signed-contract.output.dealId }}");
    expect(model(out).ui?.positions).toEqual({ "signed-contract": [0, 0], account: [0, 140] });
    expect(comments(out)).toEqual(allComments);
    const rule = ok(example, { type: "rename-step", from: "account", to: "billing" });
    expect(step(rule, "credit-check")?.with?.rule).toBe(
      "steps.billing.output.creditLimit <= 50000.0",
    );
    expect(step(rule, "deal")?.needs).toEqual(["billing", "welcome"]);
    // Inputs that merely contain the word are not references.
    expect(step(rule, "billing")?.compensate).toBe("billing.account.archive@1");
  });

  it("renamePosition moves a position key in place (a step renamed by typing)", () => {
    // The text as it is after typing a new id: the step is `signed`, its position still `contract`.
    const typed = example.replace("- id: contract", "- id: signed");
    const r = renamePosition(typed, "contract", "signed");
    expect(r.ok).toBe(true);
    expect(model(r.text).ui?.positions).toEqual({ signed: [0, 0], account: [0, 140] });
    expect(r.text.replace("signed: [0, 0]", "contract: [0, 0]")).toBe(typed);
    // Nothing to move, or the new id already placed: unchanged.
    expect(renamePosition(typed, "nope", "signed").text).toBe(typed);
    expect(renamePosition(example, "contract", "account").text).toBe(example);
    // Ids that need quoting stay valid YAML.
    expect(model(renamePosition(typed, "contract", "a b").text).ui?.positions).toEqual({
      "a b": [0, 0],
      account: [0, 140],
    });
    const broken = renamePosition("steps: [", "a", "b");
    expect(broken.ok).toBe(false);
  });

  it("connect adds to needs in flow style, without duplicates", () => {
    const out = ok(example, { type: "connect", from: "contract", to: "deal" });
    expect(out).toContain("    needs: [account, welcome, contract]\n");
    expect(ok(out, { type: "connect", from: "contract", to: "deal" })).toBe(out);
    const fresh = ok(example, { type: "connect", from: "contract", to: "credit-check" });
    expect(step(fresh, "credit-check")?.needs).toEqual(["account", "contract"]);
    expect(comments(fresh)).toEqual(allComments);
    const small = "steps:\n  - id: a\n    uses: x.y@1\n  - id: b\n    uses: x.y@1 # b\n";
    expect(ok(small, { type: "connect", from: "a", to: "b" })).toBe(
      "steps:\n  - id: a\n    uses: x.y@1\n  - id: b\n    uses: x.y@1 # b\n    needs: [a]\n",
    );
  });

  it("disconnect removes from needs, and the key when it empties", () => {
    const out = ok(example, { type: "disconnect", from: "account", to: "deal" });
    expect(out).toContain("    needs: [welcome]\n");
    const none = ok(example, { type: "disconnect", from: "contract", to: "account" });
    expect(step(none, "account")?.needs).toBeUndefined();
    expect(comments(none)).toEqual(allComments);
  });

  it("move replaces an existing position in place and adds new ones", () => {
    const moved = ok(example, { type: "move", id: "account", position: [40, 160] });
    expect(moved).toBe(example.replace("account: [0, 140]", "account: [40, 160]"));
    const added = ok(example, { type: "move", id: "deal", position: [0, 560] });
    expect(added).toBe(
      example.replace("account: [0, 140]", "account: [0, 140]\n    deal: [0, 560]"),
    );
  });

  it("move creates ui.positions when the flow has no ui", () => {
    const bare = example.slice(0, example.indexOf("ui:"));
    const out = ok(bare, { type: "move", id: "welcome", position: [1, 2] });
    expect(model(out).ui).toEqual({ positions: { welcome: [1, 2] } });
    expect(out.replace("ui:\n  positions:\n    welcome: [1, 2]\n", "")).toBe(bare);
  });

  it("set-input replaces a value in place, keeping its trailing comment", () => {
    const out = ok(example, {
      type: "set-input",
      id: "credit-check",
      key: "otherwise",
      value: "fail",
    });
    expect(out).toBe(example.replace("otherwise: approval ", "otherwise: fail "));
  });

  it("set-input handles nested keys, new keys and removal", () => {
    let out = ok(example, {
      type: "set-input",
      id: "welcome",
      key: "output.properties.cta",
      value: { type: "string" },
    });
    expect(step(out, "welcome")?.with?.output).toMatchObject({
      properties: { cta: { type: "string" } },
    });
    out = ok(out, { type: "set-input", id: "deal", key: "amount", value: 48000 });
    expect(step(out, "deal")?.with?.amount).toBe(48000);
    out = ok(out, { type: "set-input", id: "deal", key: "note", value: null });
    expect(step(out, "deal")?.with).toEqual({
      id: "${{ steps.contract.output.dealId }}",
      stage: "closed_won",
      amount: 48000,
    });
    out = ok(out, { type: "set-input", id: "contract", key: "id", value: undefined });
    expect(step(out, "contract")?.with).toBeUndefined();
    expect(comments(out)).toEqual(allComments);
  });

  it("set-input writes expressions as plain ${{ }} scalars", () => {
    const out = ok(example, {
      type: "set-input",
      id: "deal",
      key: "note",
      value: "${{ steps.welcome.output.body }}",
    });
    expect(out).toContain("      note: ${{ steps.welcome.output.body }}\n");
  });

  it("set-field sets sla, retry.max, trust.min and model.budget_usd", () => {
    let out = ok(example, { type: "set-field", id: "deal", path: ["sla"], value: "T0" });
    out = ok(out, { type: "set-field", id: "account", path: ["retry", "max"], value: 7 });
    out = ok(out, { type: "set-field", id: "deal", path: ["trust", "min"], value: 0.95 });
    out = ok(out, { type: "set-field", id: "welcome", path: ["model", "budget_usd"], value: 0.1 });
    expect(step(out, "deal")).toMatchObject({ sla: "T0", trust: { min: 0.95 } });
    expect(step(out, "account")?.retry).toEqual({ max: 7, backoff: "exponential", jitter: "full" });
    expect(step(out, "welcome")?.model).toEqual({
      route: "summarization",
      fallback: ["small-fast"],
      budget_usd: 0.1,
    });
    expect(comments(out)).toEqual(allComments);
    const removed = ok(out, { type: "set-field", id: "account", path: ["retry"], value: null });
    expect(step(removed, "account")?.retry).toBeUndefined();
  });

  it("insert-between rewires the edge through the new step", () => {
    const out = ok(example, {
      type: "insert-between",
      step: {
        id: "approve",
        uses: "human.approval@1",
        with: { approvers: { role: "finance" }, message: "OK?" },
      },
      from: "account",
      to: "credit-check",
    });
    const m = model(out);
    expect(m.steps.map((s) => s.id)).toEqual([
      "contract",
      "account",
      "approve",
      "credit-check",
      "welcome",
      "deal",
    ]);
    expect(step(out, "approve")?.needs).toEqual(["account"]);
    expect(step(out, "credit-check")?.needs).toEqual(["approve"]);
    expect(step(out, "deal")?.needs).toEqual(["account", "welcome"]);
    expect(comments(out)).toEqual(allComments);
  });

  it("untouched lines stay byte for byte", () => {
    const out = ok(example, {
      type: "set-field",
      id: "welcome",
      path: ["model", "budget_usd"],
      value: 0.07,
    });
    const before = example.split("\n");
    const after = out.split("\n");
    expect(after.length).toBe(before.length);
    expect(after.filter((l, i) => l !== before[i])).toEqual(["      budget_usd: 0.07"]);
  });
});

describe("applyEdit errors leave the text unchanged", () => {
  const cases: [string, FlowEdit, RegExp][] = [
    ["unknown step", { type: "remove-step", id: "nope" }, /Unknown step "nope"/],
    [
      "duplicate id",
      { type: "add-step", step: { id: "deal", uses: "crm.deal.get@1" } },
      /already exists/,
    ],
    [
      "invalid id",
      { type: "add-step", step: { id: "bad id!", uses: "crm.deal.get@1" } },
      /Invalid step id/,
    ],
    ["rename to existing", { type: "rename-step", from: "deal", to: "account" }, /already exists/],
    ["rename to invalid", { type: "rename-step", from: "deal", to: "9x" }, /Invalid step id/],
    [
      "unknown after",
      { type: "add-step", step: { id: "x", uses: "a.b@1" }, after: "zzz" },
      /Unknown step "zzz"/,
    ],
    [
      "unknown needs",
      { type: "add-step", step: { id: "x", uses: "a.b@1", needs: ["zzz"] } },
      /Unknown step/,
    ],
    ["missing uses", { type: "add-step", step: { id: "x", uses: "" } }, /needs a block/],
    ["self loop", { type: "connect", from: "deal", to: "deal" }, /cannot need itself/],
    ["cycle", { type: "connect", from: "deal", to: "contract" }, /cycle/],
    ["not connected", { type: "disconnect", from: "contract", to: "deal" }, /does not list/],
    [
      "insert on missing edge",
      { type: "insert-between", step: { id: "x", uses: "a.b@1" }, from: "contract", to: "deal" },
      /does not need/,
    ],
    ["bad position", { type: "move", id: "deal", position: [Number.NaN, 1] }, /finite/],
    ["set-field id", { type: "set-field", id: "deal", path: ["id"], value: "x" }, /rename-step/],
    ["set-field needs", { type: "set-field", id: "deal", path: ["needs"], value: [] }, /connect/],
    [
      "empty input key",
      { type: "set-input", id: "deal", key: "a..b", value: 1 },
      /Invalid input key/,
    ],
  ];
  for (const [name, edit, error] of cases) {
    it(name, () => {
      const r = applyEdit(example, edit);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(error);
      expect(r.text).toBe(example);
    });
  }

  it("YAML syntax errors", () => {
    const broken = example.replace("needs: [contract]", "needs: [contract");
    const r = applyEdit(broken, { type: "move", id: "deal", position: [0, 0] });
    expect(r).toMatchObject({ ok: false, text: broken });
    if (!r.ok) expect(r.error).toMatch(/YAML syntax error at line \d+/);
  });

  it("a non-mapping document", () => {
    const r = applyEdit("- just\n- a list\n", { type: "remove-step", id: "x" });
    expect(r).toMatchObject({ ok: false, text: "- just\n- a list\n" });
  });
});

describe("applyEdit on small documents", () => {
  it("adds the first step to an empty document and to `steps: []`", () => {
    const a = ok("", { type: "add-step", step: { id: "a", uses: "trigger.manual@1" } });
    expect(parse(a)).toEqual({ steps: [{ id: "a", uses: "trigger.manual@1" }] });
    const b = ok("flow: x # name\nsteps: []\n", {
      type: "add-step",
      step: { id: "a", uses: "code.js@1" },
    });
    expect(parse(b)).toEqual({ flow: "x", steps: [{ id: "a", uses: "code.js@1" }] });
    expect(b).toContain("# name");
  });

  it("removing the last step leaves an empty list", () => {
    const out = ok("flow: x\nsteps:\n  - id: a\n    uses: code.js@1\n", {
      type: "remove-step",
      id: "a",
    });
    expect(parse(out)).toEqual({ flow: "x", steps: [] });
  });

  it("works without a final newline", () => {
    const out = ok("steps:\n  - id: a\n    uses: code.js@1", {
      type: "set-input",
      id: "a",
      key: "source",
      value: "return 1",
    });
    expect(parse(out)).toEqual({
      steps: [{ id: "a", uses: "code.js@1", with: { source: "return 1" } }],
    });
  });

  it("edits inside a flow-style map keep flow style", () => {
    const out = ok("steps:\n  - id: a\n    uses: x.y@1\n    with: {a: 1} # keep\n", {
      type: "set-input",
      id: "a",
      key: "b",
      value: 2,
    });
    expect(out).toBe("steps:\n  - id: a\n    uses: x.y@1\n    with: {a: 1, b: 2} # keep\n");
  });

  it("multi-line string values become block scalars", () => {
    const out = ok("steps:\n  - id: a\n    uses: code.js@1\n", {
      type: "set-input",
      id: "a",
      key: "source",
      value: "const x = 1;\nreturn x;",
    });
    expect(parse(out).steps[0].with.source).toBe("const x = 1;\nreturn x;");
  });
});

describe("set-flow-input (the flow's input schema)", () => {
  const flow = `# intake: a comment to keep
flow: intake
version: 1.0.0
inputs:
  email: { type: string, examples: [ada@example.com] }   # who asked
  amount:
    type: number        # in EUR
    default: 0
steps:
  - id: save
    uses: data.transform@1
    with: { fields: { e: inputs.email } }
`;

  it("adds a key to an inline schema, which stays inline with its comment", () => {
    const out = ok(flow, {
      type: "set-flow-input",
      name: "email",
      path: ["format"],
      value: "email",
    });
    expect(parse(out).inputs.email).toEqual({
      type: "string",
      examples: ["ada@example.com"],
      format: "email",
    });
    expect(out).toContain(
      "  email: {type: string, examples: [ada@example.com], format: email}   # who asked\n",
    );
    expect(comments(out)).toEqual(comments(flow));
    const before = flow.split("\n");
    expect(out.split("\n").filter((l, i) => l !== before[i])).toHaveLength(1);
  });

  it("sets a key of a block schema, keeping the other lines and comments byte for byte", () => {
    const out = ok(flow, { type: "set-flow-input", name: "amount", path: ["minimum"], value: 0 });
    expect(parse(out).inputs.amount).toEqual({ type: "number", default: 0, minimum: 0 });
    expect(out).toContain("    type: number        # in EUR\n");
    expect(comments(out)).toEqual(comments(flow));
  });

  it("replaces or removes a whole schema; a key set to null is removed", () => {
    const replaced = ok(flow, {
      type: "set-flow-input",
      name: "email",
      path: [],
      value: { type: "string", format: "email", minLength: 3 },
    });
    expect(parse(replaced).inputs.email).toEqual({ type: "string", format: "email", minLength: 3 });
    const dropped = ok(flow, {
      type: "set-flow-input",
      name: "amount",
      path: ["default"],
      value: null,
    });
    expect(parse(dropped).inputs.amount).toEqual({ type: "number" });
    expect(comments(dropped)).toEqual(comments(flow));
  });

  it("refuses a missing input, a bad name, a bad path or a schema that is not an object", () => {
    for (const [edit, msg] of [
      [
        { type: "set-flow-input", name: "nope", path: ["format"], value: "email" },
        /No input "nope"/,
      ],
      [{ type: "set-flow-input", name: "a b", path: [], value: {} }, /Invalid input name/],
      [{ type: "set-flow-input", name: "email", path: [""], value: 1 }, /non-empty keys/],
      [{ type: "set-flow-input", name: "email", path: [], value: "string" }, /must be an object/],
    ] as const) {
      const r = applyEdit(flow, edit as FlowEdit);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(msg);
      expect(r.text).toBe(flow);
    }
  });
});
