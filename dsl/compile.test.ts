import { describe, expect, it } from "vitest";
import { compile, TRUST_GATE_STANDBY, type CompileOptions } from "./compile";
import { policyLibrary } from "./policies/library";
import { BlockRegistry } from "./registry/registry";

const registry = BlockRegistry.withPrimitives();
const opts = (extra: Partial<CompileOptions> = {}): CompileOptions => ({
  registry,
  policies: policyLibrary,
  ...extra,
});
const codes = (text: string, extra?: Partial<CompileOptions>) =>
  compile(text, opts(extra)).diagnostics.map((d) => `${d.severity} ${d.code}`);

// agent.draft's baseline trust is 0.82; crm.contact.get's 0.99.
const AGENT = `
  - id: draft
    uses: agent.draft@1
    with:
      prompt: Write a note.
      output: { type: object, properties: { body: { type: string } } }
`;
const READ = `
  - id: read
    uses: crm.contact.get@1
    with:
      id: CON-1042
`;

describe("trust gates", () => {
  it("a halting minimum under the step's score is an error, and there is no IR", () => {
    const text = `flow: g\nversion: 1.0.0\nsteps:${AGENT}    trust: { min: 0.9 }\n`;
    const r = compile(text, opts());
    expect(r.diagnostics.map((d) => [d.code, d.severity, d.stepId])).toEqual([
      ["TF3040", "error", "draft"],
    ]);
    expect(r.diagnostics[0]!.hint).toContain("below: approval");
    expect(r.ok).toBe(false);
    expect(r.ir).toBeUndefined();
  });

  it("the flow's halting minimum is an error at `trust.min`", () => {
    const text = `flow: g\nversion: 1.0.0\ntrust:\n  min: 0.85\nsteps:${READ}${AGENT}`;
    const r = compile(text, opts());
    expect(r.diagnostics.map((d) => [d.code, d.severity, d.stepId])).toEqual([
      ["TF3041", "error", "draft"],
    ]);
    expect(text.slice(r.diagnostics[0]!.span.start, r.diagnostics[0]!.span.end)).toBe("0.85");
  });

  it("`trustSeverity` still forces the severity (the old lenient mode)", () => {
    const text = `flow: g\nversion: 1.0.0\nsteps:${AGENT}    trust: { min: 0.9 }\n`;
    expect(codes(text, { trustSeverity: "warning" })).toEqual(["warning TF3040"]);
    const approval = `flow: g\nversion: 1.0.0\nsteps:${AGENT}    trust: { min: 0.9, below: approval }\n`;
    expect(codes(approval, { trustSeverity: "error" })).toEqual(["error TF3040"]);
  });

  it("`below: approval` warns and adds one approval step that every root waits for", () => {
    const text = `flow: g
version: 1.0.0
trust: { min: 0.85, below: approval }
steps:${READ}${AGENT}    trust: { min: 0.9 }
  - id: after
    uses: crm.contact.get@1
    needs: [draft]
    with: { id: CON-1042 }
`;
    const r = compile(text, opts());
    expect(r.diagnostics.map((d) => `${d.severity} ${d.code}`).sort()).toEqual([
      "warning TF3040",
      "warning TF3041",
    ]);
    const ir = r.ir!;
    expect(ir.trustBelow).toBe("approval");
    expect(ir.trustGate).toBe("trust-gate");
    expect(ir.trust).toBe(0.82);
    const gate = ir.steps[0]!;
    expect(gate).toMatchObject({
      id: "trust-gate",
      uses: "human.approval@1",
      block: { id: "human.approval", kind: "human", sideEffect: "none" },
      needs: [],
      trustMin: null,
      onError: "fail",
    });
    expect(gate.inputs.entries.approvers).toEqual({
      kind: "object",
      entries: { role: { kind: "literal", value: "approver" } },
    });
    const message = gate.inputs.entries.message;
    expect(message?.kind === "literal" && String(message.value)).toMatch(
      /flow's trust 0\.82 \(lowest step: draft\) is below its minimum 0\.85; step draft has trust 0\.82, below its minimum 0\.9/,
    );
    const byId = new Map(ir.steps.map((s) => [s.id, s]));
    expect(byId.get("read")!.needs).toEqual(["trust-gate"]);
    expect(byId.get("draft")!.needs).toEqual(["trust-gate"]);
    expect(byId.get("after")!.needs).toEqual(["draft"]);
    expect(byId.get("draft")!.trustBelow).toBe("approval");
  });

  it("a step's `below` defaults to the flow's, and a step may override it", () => {
    const inherit = `flow: g\nversion: 1.0.0\ntrust: { min: 0.5, below: approval }\nsteps:${AGENT}    trust: { min: 0.9 }\n`;
    expect(codes(inherit)).toEqual(["warning TF3040"]);
    const override = `flow: g\nversion: 1.0.0\ntrust: { min: 0.5, below: approval }\nsteps:${AGENT}    trust: { min: 0.9, below: halt }\n`;
    expect(codes(override)).toEqual(["error TF3040"]);
  });

  it("a declared approval gate is always compiled (the engine decides at the start); the gate id avoids the flow's step ids", () => {
    const passing = `flow: g\nversion: 1.0.0\ntrust: { min: 0.8, below: approval }\nsteps:${AGENT}`;
    const ir = compile(passing, opts()).ir!;
    expect(ir.trustGate).toBe("trust-gate");
    expect(ir.steps.map((s) => s.id)).toEqual(["trust-gate", "draft"]);
    expect(ir.steps[0]!.inputs.entries.message).toEqual({
      kind: "literal",
      value: `${TRUST_GATE_STANDBY}. Approve to run this flow anyway.`,
    });
    // The same flow twice: the same IR and hash (nothing of history enters it).
    expect(compile(passing, opts()).ir!.hash).toBe(ir.hash);
    // A halting gate has no wait point.
    const halting = `flow: g\nversion: 1.0.0\ntrust: { min: 0.8 }\nsteps:${AGENT}`;
    expect(compile(halting, opts()).ir!.trustGate).toBeUndefined();

    const taken = `flow: g\nversion: 1.0.0\ntrust: { min: 0.9, below: approval }\nsteps:
  - id: trust-gate
    uses: crm.contact.get@1
    with: { id: CON-1042 }
${AGENT}`;
    const gated = compile(taken, opts()).ir!;
    expect(gated.trustGate).toBe("trust-gate-2");
    expect(gated.steps.map((s) => s.id)).toEqual(["trust-gate-2", "trust-gate", "draft"]);
  });

  it("an invalid `below` is a structural error", () => {
    expect(codes(`flow: g\nversion: 1.0.0\ntrust: { min: 0.5, below: ask }\nsteps: []\n`)).toEqual([
      "error TF1005",
    ]);
  });
});

describe("consent ids", () => {
  const head = `flow: g
version: 1.0.0
consent: { purposes: [billing] }
`;

  it("`consent.id` compiles to an expression in the IR, and a step output there is a need", () => {
    const text = `${head}inputs:
  contactId: { type: string }
steps:
  - id: subject
    uses: policy.consent@1
    with:
      subjectId: \${{ inputs.contactId }}
      purpose: billing
  - id: read
    uses: crm.contact.get@1
    with:
      id: \${{ inputs.contactId }}
    consent:
      purpose: billing
      id: \${{ steps.subject.output.consentId }}
`;
    const r = compile(text, opts());
    expect(r.diagnostics).toEqual([]);
    const read = r.ir!.steps.find((s) => s.id === "read")!;
    expect(read.needs).toEqual(["subject"]);
    expect(read.consent).toMatchObject({
      purpose: "billing",
      id: { kind: "expr", source: " steps.subject.output.consentId " },
    });
  });

  it("a consent-requiring step with no way to get an id is an error with a hint", () => {
    const text = `${head}steps:${READ}    consent: { purpose: billing }\n`;
    const r = compile(text, opts());
    expect(r.diagnostics.map((d) => [d.code, d.severity, d.stepId])).toEqual([
      ["TF3032", "error", "read"],
    ]);
    expect(r.diagnostics[0]!.hint).toContain("id: ${{ inputs.consentId }}");
  });

  it("the engine's default fields and `require` count when declared as inputs", () => {
    const declared = `${head}inputs:\n  consent_id: { type: string }\nsteps:${READ}    consent: { purpose: billing }\n`;
    expect(codes(declared)).toEqual([]);
    const required = `${head}inputs:\n  ref: { type: string }\nsteps:${READ}    consent: { purpose: billing, require: ref }\n`;
    expect(codes(required)).toEqual([]);
    const undeclared = `${head}steps:${READ}    consent: { purpose: billing, require: ref }\n`;
    const r = compile(undeclared, opts());
    expect(r.diagnostics.map((d) => d.code)).toEqual(["TF3032"]);
    expect(undeclared.slice(r.diagnostics[0]!.span.start, r.diagnostics[0]!.span.end)).toBe("ref");
  });

  it("`consent.id` reading an undeclared input is an unknown input reference", () => {
    const text = `${head}steps:${READ}    consent: { purpose: billing, id: "\${{ inputs.nope }}" }\n`;
    expect(codes(text)).toEqual(["error TF2008"]);
  });
});

describe("addressing people", () => {
  const approval = (approvers: string) => `flow: g
version: 1.0.0
steps:
  - id: ok
    uses: human.approval@1
    with:
      approvers: ${approvers}
      message: Approve?
`;

  it("`role:` must be a workspace role, whatever the directory", () => {
    expect(codes(approval("{ role: approver }"))).toEqual([]);
    const r = compile(approval("{ role: finance }"), opts());
    expect(r.diagnostics.map((d) => d.code)).toEqual(["TF3012"]);
    expect(r.diagnostics[0]!.message).toContain('"viewer", "editor", "approver", "admin"');
  });

  it("exactly one of role, group or users", () => {
    expect(codes(approval("{ role: approver, group: finance }"))).toEqual(["error TF3012"]);
    expect(codes(approval("{}"))).toEqual(["error TF3012"]);
  });

  it("groups and users are checked only against a directory", () => {
    const directory = { groups: ["finance"], users: ["Ada@Example.com"] };
    expect(codes(approval("{ group: finanse }"))).toEqual([]);
    const r = compile(approval("{ group: finanse }"), opts({ directory }));
    expect(r.diagnostics.map((d) => [d.code, d.stepId])).toEqual([["TF3060", "ok"]]);
    expect(r.diagnostics[0]!.message).toContain("no group `finanse`");
    expect(r.diagnostics[0]!.hint).toBe("did you mean `finance`?");
    expect(codes(approval("{ group: finance }"), { directory })).toEqual([]);
    expect(codes(approval("{ users: [ada@example.com] }"), { directory })).toEqual([]);
    expect(codes(approval("{ users: [ada@example.com, eve@example.com] }"), { directory })).toEqual(
      ["error TF3060"],
    );
  });
});

describe("control.switch's `when`", () => {
  const sw = (when: string, extra = "") => `flow: g
version: 1.0.0
inputs:
  seats: { type: integer }
steps:${READ}
  - id: route
    uses: control.switch@1
    with:
      cases:
        - { label: big, when: ${when} }
        - label: small
          when: inputs.seats < 500
${extra}`;

  it("is checked as CEL like `if:`: syntax, names, inputs, steps and output fields", () => {
    const at = (when: string) => {
      const text = sw(when);
      return compile(text, opts()).diagnostics.map((d) => [
        d.code,
        d.stepId,
        text.slice(d.span.start, d.span.end),
      ]);
    };
    expect(at("inputs.seats >= 500")).toEqual([]);
    expect(at("inputs.seats >=")).toEqual([["TF2001", undefined, ">"]]);
    expect(at("bogus > 1")).toEqual([["TF2003", undefined, "bogus"]]);
    expect(at("inputs.seets > 1")).toEqual([["TF2008", "route", "inputs.seets"]]);
    expect(at("steps.raed.output.email != ''")).toEqual([["TF2004", "route", "raed"]]);
    expect(at("steps.read.output.emial != ''")).toEqual([
      ["TF2006", "route", "steps.read.output.emial"],
    ]);
    // Inside `${{ }}` it is an expression of the flow, as before.
    expect(at("'${{ inputs.seats > 500 }}'")).toEqual([]);
    expect(at("'${{ inputs.seats > }}'").map((d) => d[0])).toEqual(["TF2001"]);
  });

  it("a step it reads is a need, and the case stays the string the block evaluates", () => {
    const r = compile(sw("steps.read.output.email.endsWith('@big.example')"), opts());
    expect(r.diagnostics).toEqual([]);
    const route = r.ir!.steps.find((s) => s.id === "route")!;
    expect(route.needs).toEqual(["read"]);
    expect(route.inputs).toMatchObject({
      kind: "object",
      entries: {
        cases: {
          kind: "array",
          items: [
            {
              entries: {
                when: {
                  kind: "literal",
                  value: "steps.read.output.email.endsWith('@big.example')",
                },
              },
            },
            { entries: { when: { kind: "literal", value: "inputs.seats < 500" } } },
          ],
        },
      },
    });
  });
});
