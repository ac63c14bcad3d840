/**
 * The rules "stricter input schema" and "fallback model" (issue 18, item 3): each writes its
 * patch through the compiler's edit path (comments and layout kept) only on evidence — values
 * that separate the failing runs from the successful ones; another configured model of the
 * step's task the failure did not involve.
 */
import { describe, expect, it } from "vitest";
import { failureRecord } from "@/server/testing/failure-record";
import { parse } from "yaml";
import { compileFlow } from "../workflow/compile-flow";
import type { FailureRecord } from "./fingerprint";
import { proposeFixes } from "./proposals";
import { triage } from "./triage";

const base = failureRecord({
  version: "1.2.0",
  errorName: "NonRetryableError",
  message: "crm PATCH /contacts/CON-7 failed with HTTP 422: email is invalid",
  httpStatus: 422,
  category: "validation",
  retryable: false,
});

const FLOW = `# contact-sync: the CRM follows the sign-up form
flow: contact-sync
version: 1.2.0
inputs:
  contactId: { type: string, examples: [CON-7] }   # the CRM's id
  email: { type: string }
  seats: { type: number }
steps:
  - id: sync            # the CRM
    uses: crm.contact.update@1
    with:
      id: \${{ inputs.contactId }}
      email: \${{ inputs.email }}
`;
const compile = (text: string) => compileFlow(text);
const ctx = (inputs?: { failing: object[]; succeeded: object[] }) => ({
  text: FLOW,
  version: "1.2.0",
  compile,
  ...(inputs ? { inputs: inputs as never } : {}),
});

describe("stricter input schema", () => {
  it("adds the constraint that separates the failing inputs from the successful ones", () => {
    const t = triage([base]);
    expect(t.class).toBe("mapping");
    const drafts = proposeFixes(
      t,
      base,
      ctx({
        failing: [
          { contactId: "CON-7", email: "ada(at)example.com" },
          { contactId: "CON-8", email: "bob" },
        ],
        succeeded: [{ contactId: "CON-1", email: "cy@example.com" }],
      }),
    );
    const d = drafts.find((x) => x.rule === "stricter-input-schema");
    expect(d, JSON.stringify(drafts)).toBeDefined();
    expect(parse(d!.text).inputs.email).toEqual({ type: "string", format: "email" });
    // Only that input's line changed; comments and the other inputs are kept byte for byte.
    const before = FLOW.split("\n");
    expect(d!.text.split("\n").filter((l, i) => l !== before[i])).toEqual([
      "  email: {type: string, format: email}",
    ]);
    expect(d!.rationale).toContain('`email` must be an email address (format: "email")');
    expect(compileFlow(d!.text).ok).toBe(true);
  });

  it("tightens a number the step could not use, and only inputs the failing step reads", () => {
    const flow = `${FLOW}  - id: plan
    uses: data.transform@1
    with:
      fields:
        perSeat: 100 / inputs.seats
`;
    const f = { ...base, stepId: "plan", blockId: "data.transform@1", httpStatus: null };
    const t = { ...triage([f]), class: "mapping" as const };
    const drafts = proposeFixes(t, f, {
      ...ctx({
        failing: [
          { email: "a@b.co", seats: 0 },
          { email: "c@d.co", seats: -2 },
        ],
        succeeded: [{ email: "e@f.co", seats: 3 }],
      }),
      text: flow,
    });
    const d = drafts.find((x) => x.rule === "stricter-input-schema");
    expect(parse(d!.text).inputs.seats).toEqual({ type: "number", exclusiveMinimum: 0 });
    expect(parse(d!.text).inputs.email).toEqual({ type: "string" });
  });

  it("proposes nothing without separating evidence", () => {
    const same = proposeFixes(
      triage([base]),
      base,
      ctx({ failing: [{ email: "a@b.co" }], succeeded: [{ email: "c@d.co" }] }),
    );
    expect(same.filter((d) => d.rule === "stricter-input-schema")).toEqual([]);
    const none = proposeFixes(triage([base]), base, ctx());
    expect(none.filter((d) => d.rule === "stricter-input-schema")).toEqual([]);
    // A good value that breaks the constraint too: no constraint separates them.
    const mixed = proposeFixes(
      triage([base]),
      base,
      ctx({ failing: [{ email: "" }], succeeded: [{ email: "" }, { email: "x@y.z" }] }),
    );
    expect(mixed.filter((d) => d.rule === "stricter-input-schema")).toEqual([]);
  });
});

const AGENT_FLOW = `# triage: sort the support mail
flow: mail-triage
version: 2.0.0
inputs:
  text: { type: string }
steps:
  - id: sort              # the model decides
    uses: agent.classify@1
    model: { route: gpt-4o-mini }
    with:
      text: \${{ inputs.text }}
      labels: [billing, bug, other]
`;
const agentFailure = (over: Partial<FailureRecord>): FailureRecord => ({
  ...base,
  stepId: "sort",
  blockId: "agent.classify@1",
  errorName: "RetryAfterError",
  httpStatus: 429,
  category: "integration",
  retryable: true,
  message: "model gpt-4o-mini (openai gpt-4o-mini) answered 429: Rate limit reached",
  ...over,
});
const agentCtx = (models: string[]) => ({
  text: AGENT_FLOW,
  version: "2.0.0",
  compile,
  fallbackModels: (blockId: string) => (blockId === "agent.classify@1" ? models : []),
});

describe("fallback model", () => {
  it("names another configured model of the task on a rate limit, beside the back-off", () => {
    const f = agentFailure({});
    const t = triage([f, f, f]);
    const drafts = proposeFixes(
      t,
      f,
      agentCtx(["gpt-4o-mini", "llama-local", "qwen-vllm", "other"]),
    );
    expect(drafts.map((d) => d.rule).sort()).toEqual(["backoff-retry-after", "fallback-model"]);
    const d = drafts.find((x) => x.rule === "fallback-model")!;
    const step = parse(d.text).steps[0];
    expect(step.model).toEqual({ route: "gpt-4o-mini", fallback: ["llama-local", "qwen-vllm"] });
    expect(d.text).toContain("  - id: sort              # the model decides\n");
    expect(d.title).toBe('Fall back to llama-local, qwen-vllm on "sort"');
  });

  it("triages an agent step's model outage as resilience, and skips the models that failed", () => {
    const f = agentFailure({
      errorName: "EngineError",
      httpStatus: 503,
      message: "Every model failed (gpt-4o-mini: 503 service unavailable; llama-local: 503).",
    });
    const t = triage([f]);
    expect(t).toMatchObject({ class: "resilience", resilience: "server-error" });
    const d = proposeFixes(t, f, agentCtx(["gpt-4o-mini", "llama-local", "qwen-vllm"])).find(
      (x) => x.rule === "fallback-model",
    );
    expect(parse(d!.text).steps[0].model.fallback).toEqual(["qwen-vllm"]);
  });

  it("proposes no fallback without another capable model, or for a connector step", () => {
    const f = agentFailure({});
    expect(
      proposeFixes(triage([f, f, f]), f, agentCtx(["gpt-4o-mini"])).filter(
        (d) => d.rule === "fallback-model",
      ),
    ).toEqual([]);
    const crm = { ...base, errorName: "RetryAfterError", httpStatus: 429, message: "crm 429" };
    expect(
      proposeFixes(triage([crm, crm, crm]), crm, {
        ...ctx(),
        fallbackModels: () => ["x", "y"],
      }).filter((d) => d.rule === "fallback-model"),
    ).toEqual([]);
  });
});
