import { describe, expect, it } from "vitest";
import { compileFlow } from "../workflow/compile-flow";

const flow = (trust: string) => `flow: earned
version: 1.0.0
trust: ${trust}
steps:
  - id: look
    uses: crm.contact.get@1
    with: { id: CON-1 }
`;

const low = { blockScore: (id: string) => (id === "crm.contact.get" ? 0.3 : undefined) };

describe("compileFlow with earned trust", () => {
  it("adds a halting gate's earned shortfall as a warning: saving is never blocked by history", () => {
    const base = compileFlow(flow("{ min: 0.9 }"));
    const r = compileFlow(flow("{ min: 0.9 }"), { earnedTrust: low });
    expect(r.ok).toBe(true);
    expect(r.ir!.hash).toBe(base.ir!.hash);
    // The IR keeps the baseline score.
    expect(r.ir!.steps[0]!.trust).toBe(0.99);
    const trust = r.diagnostics.filter((d) => d.code === "TF3041");
    expect(trust).toHaveLength(1);
    expect(trust[0]).toMatchObject({ severity: "warning", stepId: "look" });
    expect(trust[0]!.message).toMatch(/0\.3.*earned trust/);
  });

  it("adds nothing when the earned score meets the minimum or the baseline already fails it", () => {
    const fine = compileFlow(flow("{ min: 0.2 }"), { earnedTrust: low });
    expect(fine.diagnostics.filter((d) => d.code.startsWith("TF304"))).toEqual([]);
    const already = compileFlow(flow("{ min: 0.995 }"), { earnedTrust: low });
    const trust = already.diagnostics.filter((d) => d.code === "TF3041");
    expect(trust).toHaveLength(1);
    expect(trust[0]!.severity).toBe("error");
    expect(already.ok).toBe(false);
  });
});
