import { describe, expect, it } from "vitest";
import { createModelRouter, estimateCostUsd, estimateTokens } from "./router";
import { fakeClock, testModel } from "./testing/models";

const small = testModel("small", {
  tier: "small",
  costPerInputToken: 1e-7,
  costPerOutputToken: 2e-7,
});
const mid = testModel("mid", { tier: "small", costPerInputToken: 5e-7, costPerOutputToken: 1e-6 });
const large = testModel("large", {
  tier: "large",
  costPerInputToken: 5e-6,
  costPerOutputToken: 1.5e-5,
});
const drafter = testModel("drafter", {
  tier: "large",
  capabilities: { tasks: ["drafting"] },
  costPerInputToken: 1e-6,
  costPerOutputToken: 1e-6,
});
const models = [large, mid, small, drafter];
const names = (p: { candidates: Array<{ model: { name: string } }> }) =>
  p.candidates.map((c) => c.model.name);

describe("estimates", () => {
  it("counts about four characters per token and prices prompt plus maxTokens", () => {
    expect(estimateTokens(0)).toBe(0);
    expect(estimateTokens(401)).toBe(101);
    expect(estimateCostUsd(large, 1000)).toBeCloseTo(1000 * 5e-6 + 100 * 1.5e-5);
  });
});

describe("routing", () => {
  const router = createModelRouter({ models });

  it("routes by task type: only capable models are candidates", () => {
    const plan = router.plan({ task: "classification", promptChars: 400, schemaChars: 100 });
    expect(names(plan)).not.toContain("drafter");
    expect(names(router.plan({ task: "drafting", promptChars: 400, schemaChars: 100 }))).toContain(
      "drafter",
    );
  });

  it("prefers the small tier for simple requests and the large tier for complex ones", () => {
    expect(
      names(router.plan({ task: "classification", promptChars: 400, schemaChars: 100 })),
    ).toEqual(["small", "mid", "large"]);
    const complex = router.plan({ task: "classification", promptChars: 20_000, schemaChars: 100 });
    expect(complex.complexity).toBe("high");
    expect(names(complex)[0]).toBe("large");
    expect(
      names(router.plan({ task: "classification", promptChars: 10, schemaChars: 5000 }))[0],
    ).toBe("large");
  });

  it("puts the user's preference first", () => {
    const req = { task: "classification" as const, promptChars: 20_000, schemaChars: 100 };
    expect(names(router.plan({ ...req, step: { preference: "cost" } }))[0]).toBe("small");
    expect(names(router.plan({ ...req, step: { preference: "latency" } }))[0]).toBe("small");
    expect(
      names(
        router.plan({
          task: "classification",
          promptChars: 10,
          schemaChars: 10,
          step: { preference: "quality" },
        }),
      )[0],
    ).toBe("large");
  });

  it("model.route may name a model or a task type", () => {
    expect(
      names(
        router.plan({
          task: "classification",
          promptChars: 10,
          schemaChars: 10,
          step: { route: "mid" },
        }),
      )[0],
    ).toBe("mid");
    const asTask = router.plan({
      task: "classification",
      promptChars: 10,
      schemaChars: 10,
      step: { route: "drafting" },
    });
    expect(asTask.task).toBe("drafting");
    expect(names(asTask)).toContain("drafter");
  });

  it("follows the fallback chain, then the other capable models cheapest first", () => {
    const plan = router.plan({
      task: "classification",
      promptChars: 10,
      schemaChars: 10,
      step: { route: "large", fallback: ["mid", "nope"] },
    });
    expect(plan.candidates.map((c) => [c.model.name, c.reason])).toEqual([
      ["large", "route"],
      ["mid", "fallback"],
      ["small", "compatible"],
    ]);
    expect(plan.skipped).toEqual([{ model: "nope", reason: "unknown", detail: "not configured" }]);
  });
});

describe("cooldown", () => {
  it("skips a model after N consecutive failures until the cooldown ends", () => {
    const clock = fakeClock();
    const router = createModelRouter({
      models: [small, large],
      clock,
      failureThreshold: 2,
      cooldownMs: 30_000,
    });
    const req = { task: "classification" as const, promptChars: 10, schemaChars: 10 };
    router.recordFailure("small");
    expect(names(router.plan(req))[0]).toBe("small");
    router.recordFailure("small");
    const plan = router.plan(req);
    expect(names(plan)).toEqual(["large"]);
    expect(plan.skipped[0]).toMatchObject({ model: "small", reason: "cooldown" });
    clock.advance(30_000);
    expect(names(router.plan(req))[0]).toBe("small");
    // Half-open: one more failure trips it again at once.
    router.recordFailure("small");
    expect(names(router.plan(req))).toEqual(["large"]);
    clock.advance(30_000);
    router.recordSuccess("small");
    router.recordFailure("small");
    expect(names(router.plan(req))[0]).toBe("small");
  });

  it("reports when every capable model is cooling down", () => {
    const clock = fakeClock();
    const router = createModelRouter({
      models: [small],
      clock,
      failureThreshold: 1,
      cooldownMs: 5000,
    });
    router.recordFailure("small");
    const plan = router.plan({ task: "routing", promptChars: 1, schemaChars: 1 });
    expect(plan.candidates).toEqual([]);
    expect(plan.coolingDownUntil).toBe(clock.now() + 5000);
  });
});

describe("budgets", () => {
  const router = createModelRouter({ models: [small, large] });
  const req = {
    task: "classification" as const,
    promptChars: 4000,
    schemaChars: 10,
    step: { preference: "quality" as const },
  };

  it("skips models whose estimate does not fit and keeps the cheaper ones", () => {
    const largeCost = estimateCostUsd(large, 1000);
    const plan = router.plan({
      ...req,
      budgets: [{ name: "run budget", limitUsd: largeCost / 2, spentUsd: 0 }],
    });
    expect(names(plan)).toEqual(["small"]);
    expect(plan.skipped[0]).toMatchObject({ model: "large", reason: "budget" });
  });

  it("names the budget when nothing fits", () => {
    const plan = router.plan({
      ...req,
      budgets: [{ name: "workspace monthly budget", limitUsd: 1, spentUsd: 1 }],
    });
    expect(plan.candidates).toEqual([]);
    expect(plan.budgetExceeded).toMatchObject({
      budget: "workspace monthly budget",
      limitUsd: 1,
      spentUsd: 1,
    });
    expect(plan.budgetExceeded!.cheapestUsd).toBeCloseTo(estimateCostUsd(small, 1000));
  });
});

describe("an evaluation's recommended route", () => {
  const router = createModelRouter({ models });
  const req = { task: "classification" as const, promptChars: 400, schemaChars: 100 };
  const evaluated = { model: "large", detail: "eval run e of suite s: pass^n 1" };

  it("goes first when the step names no route and no preference", () => {
    const plan = router.plan({ ...req, evaluated });
    expect(names(plan)).toEqual(["large", "small", "mid"]);
    expect(plan.candidates[0]!.reason).toBe("evaluated");
  });

  it("yields to the step's own route or preference, and to capability", () => {
    expect(names(router.plan({ ...req, evaluated, step: { route: "mid" } }))[0]).toBe("mid");
    expect(names(router.plan({ ...req, evaluated, step: { preference: "cost" } }))[0]).toBe(
      "small",
    );
    // A model that cannot do the task, or is not configured, changes nothing.
    expect(names(router.plan({ ...req, evaluated: { model: "drafter", detail: "" } }))).toEqual([
      "small",
      "mid",
      "large",
    ]);
    expect(names(router.plan({ ...req, evaluated: { model: "gone", detail: "" } }))[0]).toBe(
      "small",
    );
  });
});
