/**
 * Step facts are computed lazily (`StepFactsMap`); CEL must see exactly what the eager map of
 * earlier versions showed: same keys, same `size()`, same iteration, `upstream` appended when
 * first read (`in` reads it). The expected outcomes below were recorded with the eager map.
 */
import { describe, expect, it } from "vitest";
import { compile } from "../compile";
import { BlockRegistry } from "../registry/registry";
import type { PolicyDocument } from "../types";

const RULES = [
  "step.size() == 18",
  "'upstream' in step && 'inputs' in step && !('bogus' in step)",
  "step.all(k, k != 'upstream')",
  "step.exists(k, k == 'hasCompensate')",
  "step.upstream.size() >= 0 && step.size() == 19",
  "step.inputs.id != ''",
  "step.sla == 'T1' && step.retries >= 0 && step.trustMin == null",
  "size(step.upstream) == size(step.upstream)",
  "step.map(k, k).size() == 18",
];

const TEXT = `flow: f
version: 1.0.0
steps:
  - id: a
    uses: crm.contact.get@1
    with:
      id: x
  - id: b
    uses: crm.contact.get@1
    needs: [a]
    with:
      id: \${{ steps.a.output.id }}
`;

describe("policy step facts", () => {
  it("look to CEL exactly like an eager map", () => {
    const policies: PolicyDocument[] = RULES.map((rule, i) => ({
      name: `p${i}`,
      version: "1.0.0",
      title: "t",
      description: "d",
      scope: "step",
      rule,
      message: "m",
      severity: "error",
    }));
    const r = compile(TEXT, {
      registry: BlockRegistry.withPrimitives(),
      policies,
      enforcedPolicies: policies.map((p) => `${p.name}@1`),
    });
    expect(r.diagnostics.map((d) => `${d.code} ${d.policy} ${d.span.start}`)).toEqual([
      "TF4001 p2@1 38",
      "TF4001 p8@1 38",
      "TF3012 undefined 88",
      "TF4001 p2@1 98",
      "TF4001 p8@1 98",
    ]);
  });
});
