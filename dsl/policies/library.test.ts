import { CelScalar, celEnv, isCelError, parse, plan } from "@bufbuild/cel";
import { describe, expect, it } from "vitest";
import type { PolicyDocument, PolicyFlowFacts, PolicyStepFacts } from "../types";
import { policyLibrary } from "./library";

const env = celEnv({
  variables: {
    flow: CelScalar.DYN,
    step: CelScalar.DYN,
    from: CelScalar.DYN,
    to: CelScalar.DYN,
    edge: CelScalar.DYN,
    params: CelScalar.DYN,
  },
});

type Planned = (bindings: Record<string, unknown>) => ReturnType<ReturnType<typeof plan>>;
const planned = new Map<string, Planned>();

function evalBool(expr: string, bindings: Record<string, unknown>): boolean {
  let run = planned.get(expr);
  if (!run) {
    const program = plan(env, parse(expr));
    run = (b) => program(b as never);
    planned.set(expr, run);
  }
  const result = run(bindings);
  if (isCelError(result)) throw new Error(`${expr}: ${result.message}`);
  if (typeof result !== "boolean") throw new Error(`${expr}: evaluated to ${String(result)}`);
  return result;
}

type Verdict = "not-applicable" | "compliant" | "violation";

/** Evaluates a policy like the design-time evaluator: `when` first, then `rule`. */
function check(doc: PolicyDocument, subject: Record<string, unknown>): Verdict {
  const bindings = { params: doc.params ?? {}, ...subject };
  if (doc.when !== undefined && !evalBool(doc.when, bindings)) return "not-applicable";
  return evalBool(doc.rule, bindings) ? "compliant" : "violation";
}

function policy(nameAtMajor: string): PolicyDocument {
  const [name, major] = nameAtMajor.split("@");
  const doc = policyLibrary.find((p) => p.name === name && p.version.split(".")[0] === major);
  if (!doc) throw new Error(`no policy ${nameAtMajor}`);
  return doc;
}

function stepFacts(id: string, over: Partial<PolicyStepFacts> = {}): PolicyStepFacts {
  return {
    id,
    uses: "crm.deal.get@1",
    block: "crm.deal.get",
    major: 1,
    kind: "connector",
    system: "crm",
    sideEffect: "read",
    sla: "T2",
    retries: 2,
    breakerThreshold: 5,
    deadLetter: false,
    timeoutMs: 10000,
    trustMin: null,
    trust: 0.97,
    consentPurpose: "",
    hasCompensate: false,
    budgetUsd: -1,
    inputs: {},
    upstream: [],
    ...over,
  };
}

function flowFacts(steps: PolicyStepFacts[], over: Partial<PolicyFlowFacts> = {}): PolicyFlowFacts {
  return {
    name: "test-flow",
    version: "1.0.0",
    sla: "T2",
    trustMin: null,
    consentPurposes: [],
    triggers: ["manual"],
    sandboxOnly: false,
    steps,
    ...over,
  };
}

/** Step-scope verdict for the step `id` of `flow`. */
function onStep(name: string, flow: PolicyFlowFacts, id: string): Verdict {
  const step = flow.steps.find((s) => s.id === id)!;
  return check(policy(name), { flow, step });
}

function onEdge(
  name: string,
  flow: PolicyFlowFacts,
  from: string,
  to: string,
  kind: "needs" | "data" = "data",
): Verdict {
  const f = flow.steps.find((s) => s.id === from)!;
  const t = flow.steps.find((s) => s.id === to)!;
  return check(policy(name), { flow, from: f, to: t, edge: { kind, fields: [] } });
}

const billingWrite = (id: string, over: Partial<PolicyStepFacts> = {}) =>
  stepFacts(id, {
    uses: "billing.account.upsert@2",
    block: "billing.account.upsert",
    major: 2,
    system: "billing",
    sideEffect: "write",
    ...over,
  });
const agentStep = (id: string, over: Partial<PolicyStepFacts> = {}) =>
  stepFacts(id, {
    uses: "agent.draft@1",
    block: "agent.draft",
    kind: "agent",
    system: "llm",
    sideEffect: "none",
    trust: 0.82,
    budgetUsd: 0.05,
    ...over,
  });

describe("policy library", () => {
  it("has at least 8 policies, unique name@major, all 1.0.0", () => {
    expect(policyLibrary.length).toBeGreaterThanOrEqual(8);
    const keys = policyLibrary.map((p) => `${p.name}@${p.version.split(".")[0]}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const p of policyLibrary) {
      expect(p.version).toBe("1.0.0");
      expect(p.name).toMatch(/^[a-z][a-z0-9-]*$/);
    }
  });

  it("includes every required policy", () => {
    for (const name of [
      "no-low-trust-billing-writes@1",
      "t1-requires-dead-letter@1",
      "t0-requires-resilience@1",
      "consent-purpose-declared@1",
      "agent-budget-required@1",
      "refund-needs-approval@1",
      "no-external-http-in-sandbox@1",
      "writes-need-compensation@1",
    ]) {
      expect(() => policy(name)).not.toThrow();
    }
  });

  it("every when and rule parses as CEL and evaluates to a boolean on a varied flow", () => {
    const steps = [
      stepFacts("contract", { block: "clm.contract.get", system: "clm" }),
      billingWrite("account", { upstream: ["contract", "draft"], hasCompensate: true }),
      agentStep("draft", { upstream: ["contract"] }),
      stepFacts("refund", {
        block: "billing.refund.create",
        system: "billing",
        sideEffect: "write",
        inputs: { amount: "${{ steps.x.output.total }}" },
      }),
      stepFacts("js", { block: "code.js", kind: "code", system: "", sideEffect: "none" }),
      stepFacts("call", { block: "http.request", system: "http", sideEffect: "write" }),
      stepFacts("del", { block: "crm.deal.delete", sideEffect: "write", upstream: ["draft"] }),
    ];
    for (const sla of ["T0", "T1", "T2"] as const) {
      for (const trustMin of [null, 0.5, 0.95]) {
        const flow = flowFacts(steps, { sla, trustMin, sandboxOnly: sla === "T2" });
        for (const doc of policyLibrary) {
          const subjects: Record<string, unknown>[] =
            doc.scope === "flow"
              ? [{ flow }]
              : doc.scope === "step"
                ? steps.map((step) => ({ flow, step }))
                : steps.flatMap((from) =>
                    steps.map((to) => ({ flow, from, to, edge: { kind: "data", fields: ["x"] } })),
                  );
          for (const subject of subjects) {
            expect(["not-applicable", "compliant", "violation"]).toContain(check(doc, subject));
          }
        }
      }
    }
  });

  it("every message names its subject placeholder", () => {
    for (const p of policyLibrary) {
      if (p.scope === "step") expect(p.message).toContain("{step}");
      if (p.scope === "edge") expect(p.message).toMatch(/\{from\}|\{to\}/);
    }
  });
});

describe("no-low-trust-billing-writes@1", () => {
  const name = "no-low-trust-billing-writes@1";
  it("accepts a trusted billing write with trusted or no agents upstream", () => {
    const flow = flowFacts([
      agentStep("draft", { trust: 0.95 }),
      billingWrite("account", { trust: 0.97, upstream: ["draft"] }),
    ]);
    expect(onStep(name, flow, "account")).toBe("compliant");
  });
  it("rejects a billing write whose own trust is below the floor", () => {
    const flow = flowFacts([billingWrite("account", { trust: 0.85 })]);
    expect(onStep(name, flow, "account")).toBe("violation");
  });
  it("rejects a billing write downstream of a low-trust agent", () => {
    const flow = flowFacts([agentStep("draft"), billingWrite("account", { upstream: ["draft"] })]);
    expect(onStep(name, flow, "account")).toBe("violation");
  });
  it("ignores billing reads and non-billing writes", () => {
    const flow = flowFacts([
      billingWrite("read", { sideEffect: "read", trust: 0.5 }),
      stepFacts("crm", { sideEffect: "write", trust: 0.5 }),
    ]);
    expect(onStep(name, flow, "read")).toBe("not-applicable");
    expect(onStep(name, flow, "crm")).toBe("not-applicable");
  });
  it("honours a workspace floor", () => {
    const flow = flowFacts([billingWrite("account", { trust: 0.85 })]);
    const doc = { ...policy(name), params: { floor: 0.8 } };
    expect(check(doc, { flow, step: flow.steps[0] })).toBe("compliant");
  });
});

describe("no-low-trust-agent-data-into-billing@1", () => {
  const name = "no-low-trust-agent-data-into-billing@1";
  const flow = flowFacts([
    agentStep("low", { trust: 0.8 }),
    agentStep("high", { trust: 0.93 }),
    billingWrite("account", { upstream: ["low", "high"] }),
    stepFacts("deal", { sideEffect: "write", upstream: ["low"] }),
  ]);
  it("rejects a low-trust agent's data reaching a billing write", () => {
    expect(onEdge(name, flow, "low", "account")).toBe("violation");
  });
  it("accepts a trusted agent", () => {
    expect(onEdge(name, flow, "high", "account")).toBe("compliant");
  });
  it("ignores needs-only edges and non-billing targets", () => {
    expect(onEdge(name, flow, "low", "account", "needs")).toBe("not-applicable");
    expect(onEdge(name, flow, "low", "deal")).toBe("not-applicable");
  });
});

describe("t1-requires-dead-letter@1", () => {
  const name = "t1-requires-dead-letter@1";
  it("requires a dead letter on writes in T1 and T0 flows", () => {
    for (const sla of ["T0", "T1"] as const) {
      const flow = flowFacts([billingWrite("w", { deadLetter: false })], { sla });
      expect(onStep(name, flow, "w")).toBe("violation");
      const ok = flowFacts([billingWrite("w", { deadLetter: true })], { sla });
      expect(onStep(name, ok, "w")).toBe("compliant");
    }
  });
  it("does not apply to T2 flows or reads", () => {
    expect(onStep(name, flowFacts([billingWrite("w")], { sla: "T2" }), "w")).toBe("not-applicable");
    expect(onStep(name, flowFacts([stepFacts("r")], { sla: "T1" }), "r")).toBe("not-applicable");
  });
  it("applies to a step raised to T1 in a T2 flow", () => {
    expect(onStep(name, flowFacts([billingWrite("w", { sla: "T1" })]), "w")).toBe("violation");
  });
});

describe("t0-requires-resilience@1", () => {
  const name = "t0-requires-resilience@1";
  const resilient = { retries: 3, breakerThreshold: 5, deadLetter: true };
  it("accepts retries >= 3 with breaker and dead letter", () => {
    const flow = flowFacts([billingWrite("w", resilient)], { sla: "T0" });
    expect(onStep(name, flow, "w")).toBe("compliant");
  });
  it("rejects too few retries, no breaker, or no dead letter", () => {
    for (const bad of [{ retries: 2 }, { breakerThreshold: 0 }, { deadLetter: false }]) {
      const flow = flowFacts([stepFacts("r", { ...resilient, ...bad })], { sla: "T0" });
      expect(onStep(name, flow, "r")).toBe("violation");
    }
  });
  it("covers agent calls (system llm) but not pure steps or T1 flows", () => {
    const flow = flowFacts(
      [
        agentStep("a", { retries: 0 }),
        stepFacts("t", { kind: "data", system: "", sideEffect: "none", retries: 0 }),
      ],
      { sla: "T0" },
    );
    expect(onStep(name, flow, "a")).toBe("violation");
    expect(onStep(name, flow, "t")).toBe("not-applicable");
    expect(onStep(name, flowFacts([stepFacts("r", { retries: 0 })], { sla: "T1" }), "r")).toBe(
      "not-applicable",
    );
  });
});

describe("consent-purpose-declared@1", () => {
  const name = "consent-purpose-declared@1";
  it("accepts a purpose the flow declares", () => {
    const flow = flowFacts([agentStep("w", { consentPurpose: "marketing" })], {
      consentPurposes: ["billing", "marketing"],
    });
    expect(onStep(name, flow, "w")).toBe("compliant");
  });
  it("rejects an undeclared purpose", () => {
    const flow = flowFacts([agentStep("w", { consentPurpose: "marketing" })], {
      consentPurposes: ["billing"],
    });
    expect(onStep(name, flow, "w")).toBe("violation");
  });
  it("ignores steps without consent needs", () => {
    expect(onStep(name, flowFacts([stepFacts("r")]), "r")).toBe("not-applicable");
  });
});

describe("agent-budget-required@1", () => {
  const name = "agent-budget-required@1";
  it("accepts a positive budget within the cap", () => {
    expect(onStep(name, flowFacts([agentStep("a", { budgetUsd: 0.05 })]), "a")).toBe("compliant");
  });
  it("rejects no budget, zero, or above the cap", () => {
    for (const budgetUsd of [-1, 0, 50]) {
      expect(onStep(name, flowFacts([agentStep("a", { budgetUsd })]), "a")).toBe("violation");
    }
  });
  it("ignores non-agent steps", () => {
    expect(onStep(name, flowFacts([stepFacts("r")]), "r")).toBe("not-applicable");
  });
});

describe("refund-needs-approval@1", () => {
  const name = "refund-needs-approval@1";
  const refund = (inputs: Record<string, unknown>, upstream: string[] = []) =>
    stepFacts("refund", {
      uses: "billing.refund.create@1",
      block: "billing.refund.create",
      system: "billing",
      sideEffect: "write",
      inputs,
      upstream,
    });
  const approval = stepFacts("approve", {
    uses: "human.approval@1",
    block: "human.approval",
    kind: "human",
    system: "",
    sideEffect: "none",
  });
  it("accepts a small literal refund without approval", () => {
    expect(onStep(name, flowFacts([refund({ amount: 120 })]), "refund")).toBe("compliant");
    expect(onStep(name, flowFacts([refund({ amount: 500 })]), "refund")).toBe("compliant");
  });
  it("rejects a large, computed or omitted amount without approval", () => {
    for (const inputs of [{ amount: 900 }, { amount: "${{ steps.charge.output.amount }}" }, {}]) {
      expect(onStep(name, flowFacts([refund(inputs)]), "refund")).toBe("violation");
    }
  });
  it("accepts any amount with a human.approval step upstream", () => {
    for (const inputs of [{ amount: 900 }, { amount: "${{ steps.charge.output.amount }}" }]) {
      const flow = flowFacts([approval, refund(inputs, ["approve"])]);
      expect(onStep(name, flow, "refund")).toBe("compliant");
    }
  });
  it("does not count an approval that is not upstream", () => {
    const flow = flowFacts([approval, refund({ amount: 900 })]);
    expect(onStep(name, flow, "refund")).toBe("violation");
  });
});

describe("no-external-http-in-sandbox@1", () => {
  const name = "no-external-http-in-sandbox@1";
  const http = stepFacts("call", {
    uses: "http.request@1",
    block: "http.request",
    system: "http",
    sideEffect: "write",
  });
  it("rejects http.request in a sandbox-only flow", () => {
    expect(onStep(name, flowFacts([http], { sandboxOnly: true }), "call")).toBe("violation");
  });
  it("accepts typed connectors in a sandbox-only flow", () => {
    expect(onStep(name, flowFacts([stepFacts("r")], { sandboxOnly: true }), "r")).toBe("compliant");
  });
  it("does not apply outside sandbox-only flows", () => {
    expect(onStep(name, flowFacts([http]), "call")).toBe("not-applicable");
  });
});

describe("writes-need-compensation@1", () => {
  const name = "writes-need-compensation@1";
  it("rejects a write that later steps depend on, without compensate", () => {
    const flow = flowFacts([billingWrite("w"), stepFacts("next", { upstream: ["w"] })]);
    expect(onStep(name, flow, "w")).toBe("violation");
  });
  it("accepts a compensated write", () => {
    const flow = flowFacts([
      billingWrite("w", { hasCompensate: true }),
      stepFacts("next", { upstream: ["w"] }),
    ]);
    expect(onStep(name, flow, "w")).toBe("compliant");
  });
  it("exempts a sink write and ignores reads", () => {
    expect(onStep(name, flowFacts([billingWrite("w")]), "w")).toBe("compliant");
    expect(onStep(name, flowFacts([stepFacts("r")]), "r")).toBe("not-applicable");
  });
});

describe("code-steps-timeout@1", () => {
  const name = "code-steps-timeout@1";
  const code = (timeoutMs: number) =>
    stepFacts("js", { block: "code.js", kind: "code", system: "", sideEffect: "none", timeoutMs });
  it("accepts a bounded timeout and rejects an unbounded one", () => {
    expect(onStep(name, flowFacts([code(5000)]), "js")).toBe("compliant");
    expect(onStep(name, flowFacts([code(120000)]), "js")).toBe("violation");
    expect(onStep(name, flowFacts([code(0)]), "js")).toBe("violation");
  });
});

describe("no-agent-direct-crm-delete@1", () => {
  const name = "no-agent-direct-crm-delete@1";
  const del = (upstream: string[]) =>
    stepFacts("del", {
      uses: "crm.deal.delete@1",
      block: "crm.deal.delete",
      sideEffect: "write",
      upstream,
    });
  const review = stepFacts("review", { block: "human.approval", kind: "human", system: "" });
  it("rejects an agent feeding a CRM delete with no human in between", () => {
    expect(onEdge(name, flowFacts([agentStep("a"), del(["a"])]), "a", "del")).toBe("violation");
  });
  it("accepts a human review upstream of the delete", () => {
    const flow = flowFacts([agentStep("a"), review, del(["a", "review"])]);
    expect(onEdge(name, flow, "a", "del")).toBe("compliant");
  });
  it("ignores non-delete targets", () => {
    const flow = flowFacts([
      agentStep("a"),
      stepFacts("u", { block: "crm.deal.update", upstream: ["a"] }),
    ]);
    expect(onEdge(name, flow, "a", "u")).toBe("not-applicable");
  });
});

describe("t0-flow-trust-min@1", () => {
  const name = "t0-flow-trust-min@1";
  it("requires a trust floor on T0 flows", () => {
    expect(check(policy(name), { flow: flowFacts([], { sla: "T0", trustMin: null }) })).toBe(
      "violation",
    );
    expect(check(policy(name), { flow: flowFacts([], { sla: "T0", trustMin: 0.8 }) })).toBe(
      "violation",
    );
    expect(check(policy(name), { flow: flowFacts([], { sla: "T0", trustMin: 0.95 }) })).toBe(
      "compliant",
    );
    expect(check(policy(name), { flow: flowFacts([], { sla: "T1" }) })).toBe("not-applicable");
  });
});
