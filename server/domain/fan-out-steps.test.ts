import { describe, expect, it } from "vitest";
import { anomalySteps } from "./anomaly/fold";
import { fanOutChildren, stepAt } from "./fan-out-steps";
import { foldSteps } from "./trust/fold";
import { compileFlow } from "./workflow/compile-flow";

const FLOW = `flow: fan-out-children
version: 1.0.0
trigger:
  manual: {}
inputs:
  contactId: { type: string }
  ids: { type: array, items: { type: string } }
steps:
  - id: contacts
    uses: control.parallel@1
    with:
      branches:
        - uses: crm.contact.get@1
          with:
            id: \${{ inputs.contactId }}
        - uses: billing.account.get@1
          with:
            accountId: \${{ inputs.contactId }}
  - id: each
    uses: control.foreach@1
    with:
      items: \${{ inputs.ids }}
      do:
        uses: crm.contact.get@1
        with:
          id: \${{ item }}
`;

function ir() {
  const r = compileFlow(FLOW);
  if (!r.ok || !r.ir) throw new Error(JSON.stringify(r.diagnostics));
  return r.ir;
}

describe("fan-out children in the folds' step tables", () => {
  it("enters each parallel branch and a foreach's items with their own block", () => {
    const children = fanOutChildren(ir());
    expect(children.map((c) => [c.id, c.block.id, c.block.system])).toEqual([
      ["contacts[0]", "crm.contact.get", "crm"],
      ["contacts[1]", "billing.account.get", "billing"],
      ["each[*]", "crm.contact.get", "crm"],
    ]);
  });

  it("finds a child's entry by the engine's attempt ids, and nothing for unknown ids", () => {
    const steps = foldSteps(ir(), () => undefined);
    expect(stepAt(steps, "contacts[1]")?.endpoint).toBe("billing:billing.account.get");
    expect(stepAt(steps, "each[7]")?.endpoint).toBe("crm:crm.contact.get");
    expect(stepAt(steps, "each[7][0]")?.blockId).toBe("crm.contact.get");
    expect(stepAt(steps, "contacts")?.blockId).toBe("control.parallel");
    expect(stepAt(steps, "contacts[5]")).toBeUndefined();
    expect(stepAt(steps, "nope[1]")).toBeUndefined();
    expect(stepAt(steps, "each~compensate")).toBeUndefined();
    const measured = anomalySteps(ir());
    expect(stepAt(measured, "contacts[0]")).toMatchObject({
      endpoint: "crm:crm.contact.get",
      measured: true,
    });
  });
});
