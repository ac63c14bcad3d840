import { describe, expect, it } from "vitest";
import { compile, type CompileOptions } from "./compile";
import { diffFlows } from "./diff";
import { policyLibrary } from "./policies/library";
import { BlockRegistry } from "./registry/registry";

const opts: CompileOptions = { registry: BlockRegistry.withPrimitives(), policies: policyLibrary };
const flow = (extra: string) => `flow: risky
version: 1.0.0
sla: T0
${extra}steps:
  - id: read
    uses: crm.contact.get@1
    with:
      id: CON-1042
`;

describe("the flow's risk gate (`risk.max`)", () => {
  it("compiles into the IR's riskMax", () => {
    const r = compile(flow("risk: { max: 0.3 }\n"), opts);
    expect(r.diagnostics).toEqual([]);
    expect(r.ir!.riskMax).toBe(0.3);
    expect(r.ir!.sla).toBe("T0");
  });

  it("gives a T0 flow the start gate's wait point (the engine decides at the start)", () => {
    const ir = compile(flow("risk: { max: 0.3 }\n"), opts).ir!;
    expect(ir.trustGate).toBe("trust-gate");
    expect(ir.steps.map((s) => s.id)).toEqual(["trust-gate", "read"]);
    const t1 = compile(flow("risk: { max: 0.3 }\n").replace("sla: T0", "sla: T1"), opts).ir!;
    expect(t1.trustGate).toBeUndefined();
  });

  it("is absent from the IR (and its hash) of a flow without it", () => {
    const plain = compile(flow(""), opts).ir!;
    expect("riskMax" in plain).toBe(false);
    expect(compile(flow("risk: { max: 0.3 }\n"), opts).ir!.hash).not.toBe(plain.hash);
  });

  it("refuses a maximum outside 0..1 or an unknown key, at the value", () => {
    for (const bad of ["risk: { max: 1.5 }\n", "risk: { max: -0.1 }\n", "risk: { limit: 0.3 }\n"]) {
      const r = compile(flow(bad), opts);
      expect(r.ok, bad).toBe(false);
      expect(r.diagnostics.map((d) => d.severity)).toContain("error");
    }
    const text = flow("risk: { max: 1.5 }\n");
    const d = compile(text, opts).diagnostics[0]!;
    expect(text.slice(d.span.start, d.span.end)).toContain("1.5");
  });

  it("a changed risk gate is a minor change", () => {
    const d = diffFlows(flow("risk: { max: 0.3 }\n"), flow("risk: { max: 0.5 }\n"));
    expect(d.bump).toBe("minor");
    expect(d.changes.map((c) => c.path)).toContain("risk");
  });
});
