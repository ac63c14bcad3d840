/**
 * Model-written proposals, the pure part (issue 18, item 3): the prompt says what the model must
 * know and nothing it must not; the answer's JSON Schema and its zod schema agree; an answer is
 * applied through `applyEdit` (comments kept) and compiled, or discarded with the reason.
 */
import { describe, expect, it } from "vitest";
import { validatorFor } from "@/server/engine/runtimes/support";
import { compileFlow } from "../workflow/compile-flow";
import { corpusFlowText } from "./corpus";
import { applyModelPatch, MODEL_PATCH_SCHEMA, modelPrompt, ZModelPatch } from "./model-patch";
import { triage } from "./triage";

const text = corpusFlowText("lead-enrich", { typo: true });
const ctx = { text, version: "1.4.0", modelLabel: "gpt-4o-mini", compile: compileFlow };
const patch = {
  title: "Read `email`, not `emial`",
  rationale: "The profile service answers `email`; the mapping has a typo.",
  edits: [
    {
      type: "set-input",
      step: "shape",
      key: "fields.email",
      value: "steps.fetch.output.body.email",
    },
  ],
};

describe("the model's prompt", () => {
  it("carries the template, triage, drift, contract and the flow's text, and asks for edits", () => {
    const t = triage([
      {
        workspaceId: "ws",
        runId: "r",
        stepId: "shape",
        attempt: 1,
        workflowId: "wf",
        flowName: "lead-enrich",
        version: "1.4.0",
        irHash: "h",
        blockId: "data.transform@1",
        errorName: "ExpressionError",
        message: "field not found: emial (in `steps.fetch.output.body.emial`)",
        code: null,
        httpStatus: null,
        category: "system",
        retryable: false,
        retryAfterMs: null,
        deadLetterId: null,
        recovered: false,
        at: 0,
      },
    ]);
    const prompt = modelPrompt({
      flowName: "lead-enrich",
      version: "1.4.0",
      text,
      stepId: "shape",
      blockId: "data.transform@1",
      errorName: "ExpressionError",
      httpStatus: null,
      template: "field not found: emial (in `<v>`)",
      triage: t,
      contract: { inputSchema: { type: "object" }, outputSchema: { type: "object" } },
      failedRules: ["Read `email` instead of `emial`"],
    });
    expect(prompt).toContain('Failing step: "shape" (block data.transform@1)');
    expect(prompt).toContain("Triage: mapping.");
    expect(prompt).toContain("did not pass their proof: Read `email` instead of `emial`");
    expect(prompt).toContain("email: steps.fetch.output.body.emial   # mapped by hand");
    expect(prompt).toContain('"type": "set-flow-input"');
    const long = modelPrompt({
      ...{ flowName: "x", version: "1", stepId: "s", blockId: "b", errorName: "E" },
      ...{ httpStatus: 500, template: "t", triage: t, contract: null, failedRules: [] },
      text: "#".repeat(50_000),
    });
    expect(long.length).toBeLessThan(20_000);
    expect(long).toContain("cut at 16000 characters");
  });
});

describe("the answer's shape", () => {
  const ajv = validatorFor(MODEL_PATCH_SCHEMA as never);
  const cases: Array<[string, unknown]> = [
    ["a patch", patch],
    [
      "a flow-input edit",
      {
        ...patch,
        edits: [{ type: "set-flow-input", name: "amount", path: ["minimum"], value: 0 }],
      },
    ],
    [
      "a set-field",
      { ...patch, edits: [{ type: "set-field", step: "fetch", path: ["timeout"], value: "20s" }] },
    ],
    ["no edits", { ...patch, edits: [] }],
    ["free text", "rename the field"],
    ["an unknown edit", { ...patch, edits: [{ type: "remove-step", id: "shape" }] }],
    ["an extra key", { ...patch, confidence: 0.9 }],
    ["a bad step id", { ...patch, edits: [{ ...patch.edits[0], step: "a b" }] }],
    ["eleven edits", { ...patch, edits: Array(11).fill(patch.edits[0]) }],
  ];
  it.each(cases)("JSON Schema and zod agree on %s", (_, v) => {
    expect(ajv(v)).toBe(ZModelPatch.safeParse(v).success);
  });
});

describe("applyModelPatch", () => {
  it("applies the edits through applyEdit, keeps comments and layout, compiles, and says who wrote it", () => {
    const r = applyModelPatch(patch, ctx);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.draft.rule).toBe("model");
    expect(r.draft.rationale).toMatch(/^Written by the model gpt-4o-mini \(not a rule\): /);
    expect(r.draft.text).toBe(text.replace("body.emial   #", "body.email   #"));
    expect(r.draft.bump).not.toBe("none");
    expect(r.draft.nextVersion).toMatch(/^1\.4\.1$|^1\.5\.0$|^2\.0\.0$/);
    // The answer as text (a model without structured output) works the same.
    expect(applyModelPatch(JSON.stringify(patch), ctx)).toEqual(r);
  });

  it("discards, with the reason, what does not parse, validate, apply, change or compile", () => {
    const reason = (a: unknown) => {
      const r = applyModelPatch(a, ctx);
      return r.ok ? "ok" : `${r.reason}: ${r.detail}`;
    };
    expect(reason("{ edits: [")).toMatch(/^not-json: The answer is not JSON/);
    expect(reason("x".repeat(40_000))).toMatch(/^not-json: .*over 32000/);
    expect(reason({ ...patch, edits: "rename it" })).toMatch(/^invalid-patch: edits: /);
    expect(reason({ ...patch, edits: [{ ...patch.edits[0], step: "nope" }] })).toMatch(
      /^edit-failed: Edit 1 \(set-input\): .*nope/,
    );
    expect(
      reason({ ...patch, edits: [{ type: "set-field", step: "shape", path: ["id"], value: "x" }] }),
    ).toMatch(/^edit-failed: .*rename-step/);
    expect(
      reason({ ...patch, edits: [{ ...patch.edits[0], value: "steps.fetch.output.body.emial" }] }),
    ).toBe("no-change: The edits leave the flow unchanged.");
    expect(
      reason({
        ...patch,
        edits: [{ type: "set-field", step: "shape", path: ["uses"], value: "no.such.block@1" }],
      }),
    ).toMatch(/^does-not-compile: The patched flow does not compile: TF\d+ /);
  });
});
