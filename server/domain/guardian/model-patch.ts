/**
 * Model-written fix proposals (issue 18, item 3), the pure part: the prompt a model gets for a
 * group the rules could not fix, the strict JSON shape of its answer (edits of the compiler's
 * edit path, never free text), and the answer turned into a proposal: validated (the JSON Schema
 * sent to the model, checked again here with zod), each edit applied through `applyEdit` (so
 * comments and layout survive), the result compiled. An answer that fails any of these is
 * discarded with the reason; nothing is saved for it.
 */
import { z } from "zod";
import { applyEdit, diffFlows, type FlowEdit, type FlowIR } from "@/dsl";
import { describeChange } from "./drift";
import type { ProposalDraft } from "./proposals";
import type { Triage } from "./triage";

/** Characters of the flow's text a prompt carries (longer flows are cut, saying so). */
export const MAX_PROMPT_FLOW_CHARS = 16_000;
/** Characters of a block contract (its input and output schemas) a prompt carries. */
export const MAX_PROMPT_CONTRACT_CHARS = 4_000;
/** Characters of an answer read (a longer one is discarded). */
export const MAX_ANSWER_CHARS = 32_000;
/** Edits one model-written patch may hold. */
export const MAX_MODEL_EDITS = 10;

const KEY = /^[A-Za-z0-9_$-]{1,64}$/;
const ZKey = z.string().regex(KEY, "A key is 1–64 letters, digits, `_`, `$` or `-`.");
const ZValue = z.json();

/** One edit a model may propose (a subset of `FlowEdit`: values and settings, never structure). */
export const ZModelEdit = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("set-input"),
      step: ZKey,
      /** Dotted path under the step's `with` (`fields.email`). */
      key: z.string().min(1).max(200),
      value: ZValue,
    })
    .strict(),
  z
    .object({
      type: z.literal("set-field"),
      step: ZKey,
      /** Path under the step (`["retry", "max"]`, `["timeout"]`, `["model", "fallback"]`). */
      path: z.array(ZKey).min(1).max(6),
      value: ZValue,
    })
    .strict(),
  z
    .object({
      type: z.literal("set-flow-input"),
      name: ZKey,
      /** Path inside the input's JSON Schema (`["format"]`); empty: the whole schema. */
      path: z.array(ZKey).max(6),
      value: ZValue,
    })
    .strict(),
]);
export type ModelEdit = z.infer<typeof ZModelEdit>;

/** The answer a model must give. */
export const ZModelPatch = z
  .object({
    title: z.string().trim().min(3).max(200),
    rationale: z.string().trim().min(10).max(2000),
    edits: z.array(ZModelEdit).min(1).max(MAX_MODEL_EDITS),
  })
  .strict();
export type ModelPatch = z.infer<typeof ZModelPatch>;

const keySchema = { type: "string", pattern: KEY.source };
const pathSchema = (min: number) => ({
  type: "array",
  items: keySchema,
  minItems: min,
  maxItems: 6,
});
const editSchema = (type: string, props: Record<string, unknown>, required: string[]) => ({
  type: "object",
  properties: { type: { const: type }, ...props },
  required: ["type", ...required],
  additionalProperties: false,
});

/** The JSON Schema of {@link ZModelPatch}, sent as the answer's format (kept in step by a test). */
export const MODEL_PATCH_SCHEMA = {
  type: "object",
  properties: {
    title: { type: "string", minLength: 3, maxLength: 200 },
    rationale: { type: "string", minLength: 10, maxLength: 2000 },
    edits: {
      type: "array",
      minItems: 1,
      maxItems: MAX_MODEL_EDITS,
      items: {
        anyOf: [
          editSchema(
            "set-input",
            { step: keySchema, key: { type: "string", minLength: 1, maxLength: 200 }, value: {} },
            ["step", "key", "value"],
          ),
          editSchema("set-field", { step: keySchema, path: pathSchema(1), value: {} }, [
            "step",
            "path",
            "value",
          ]),
          editSchema("set-flow-input", { name: keySchema, path: pathSchema(0), value: {} }, [
            "name",
            "path",
            "value",
          ]),
        ],
      },
    },
  },
  required: ["title", "rationale", "edits"],
  additionalProperties: false,
} as const;

/** What the prompt says about the group. */
export interface ModelPromptInput {
  flowName: string;
  version: string;
  /** The failing version's text (the agent runtime's PII guard redacts it before any call). */
  text: string;
  stepId: string;
  blockId: string;
  errorName: string;
  httpStatus: number | null;
  /** The group's masked message template. */
  template: string;
  triage: Triage;
  /** The failing step's block contract. */
  contract: { inputSchema?: unknown; outputSchema?: unknown } | null;
  /** Rule proposals that were written and failed their proof (titles), if any. */
  failedRules: string[];
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}\n… (cut at ${n} characters)` : s;
}

/**
 * The prompt for one group.
 *
 * @example
 * const prompt = modelPrompt({ flowName: "contact-sync", text, stepId: "shape", ... });
 */
export function modelPrompt(p: ModelPromptInput): string {
  const drift = p.triage.drift.length
    ? p.triage.drift.map((c) => `- ${describeChange(c)}`).join("\n")
    : "none recorded";
  const contract = p.contract
    ? clip(
        JSON.stringify({ input: p.contract.inputSchema, output: p.contract.outputSchema }),
        MAX_PROMPT_CONTRACT_CHARS,
      )
    : "not known";
  return [
    `A Trustflow flow fails. Propose a fix as a patch of the flow (edits), not as free text.`,
    ``,
    `Flow: ${p.flowName}, version ${p.version}`,
    `Failing step: "${p.stepId}" (block ${p.blockId}), error ${p.errorName}${p.httpStatus ? `, HTTP ${p.httpStatus}` : ""}`,
    `Error message (variable parts masked): ${p.template}`,
    `Triage: ${p.triage.class}. ${p.triage.reasons.join(" ")}`,
    `Field-level drift of the upstream answer:\n${drift}`,
    `Contract of ${p.blockId} (JSON Schemas of its inputs and output): ${contract}`,
    p.failedRules.length
      ? `Rule-based fixes already tried, which did not pass their proof: ${p.failedRules.join("; ")}`
      : `No rule-based fix applies to this failure.`,
    ``,
    `The flow's text (YAML):`,
    "```yaml",
    clip(p.text, MAX_PROMPT_FLOW_CHARS),
    "```",
    ``,
    `Answer with JSON: { "title": short imperative title, "rationale": why the failure happens and why the patch fixes it, "edits": [ ... ] }.`,
    `Each edit is one of:`,
    `- { "type": "set-input", "step": step id, "key": dotted path under the step's \`with\` (e.g. "fields.email"), "value": the new value (an expression string, as the flow writes it) }`,
    `- { "type": "set-field", "step": step id, "path": ["retry", "max"] or ["timeout"] or ["model", "fallback"], "value": the new value }`,
    `- { "type": "set-flow-input", "name": input name, "path": a key inside its JSON Schema (e.g. ["format"]) or [] for the whole schema, "value": the new value }`,
    `A null value removes the key. Change as little as possible; the patch is proved on the recorded failing inputs and reviewed by a person.`,
  ].join("\n");
}

/** Why an answer was discarded. */
export type DiscardReason =
  "not-json" | "invalid-patch" | "edit-failed" | "no-change" | "does-not-compile";

/** An answer made into a proposal draft, or the reason it was discarded. */
export type ModelPatchResult =
  { ok: true; draft: ProposalDraft } | { ok: false; reason: DiscardReason; detail: string };

function toFlowEdit(e: ModelEdit): FlowEdit {
  switch (e.type) {
    case "set-input":
      return { type: "set-input", id: e.step, key: e.key, value: e.value };
    case "set-field":
      return { type: "set-field", id: e.step, path: e.path, value: e.value };
    case "set-flow-input":
      return { type: "set-flow-input", name: e.name, path: e.path, value: e.value };
  }
}

function zodDetail(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join(".") || "(answer)"}: ${i.message}`)
    .join("; ");
}

/**
 * The model's answer (an object the runtime already parsed, or text) as a proposal draft
 * against `ctx.text`: validated, applied edit by edit, compiled; the rationale says who wrote it.
 *
 * @example
 * const r = applyModelPatch(answer, { text, version: "1.4.0", modelLabel: "gpt-4o-mini", compile });
 * if (!r.ok) console.log(r.reason, r.detail);
 */
export function applyModelPatch(
  answer: unknown,
  ctx: {
    text: string;
    version: string;
    modelLabel: string;
    compile(text: string): {
      ok: boolean;
      ir?: FlowIR;
      diagnostics?: readonly { code: string; message: string; severity: string }[];
    };
  },
): ModelPatchResult {
  let value = answer;
  if (typeof value === "string") {
    if (value.length > MAX_ANSWER_CHARS)
      return {
        ok: false,
        reason: "not-json",
        detail: `The answer is over ${MAX_ANSWER_CHARS} characters.`,
      };
    try {
      value = JSON.parse(value);
    } catch (e) {
      return {
        ok: false,
        reason: "not-json",
        detail: `The answer is not JSON: ${(e as Error).message}`,
      };
    }
  } else if (JSON.stringify(value ?? null).length > MAX_ANSWER_CHARS) {
    return {
      ok: false,
      reason: "not-json",
      detail: `The answer is over ${MAX_ANSWER_CHARS} characters.`,
    };
  }
  const parsed = ZModelPatch.safeParse(value);
  if (!parsed.success)
    return { ok: false, reason: "invalid-patch", detail: zodDetail(parsed.error) };
  let text = ctx.text;
  for (const [i, e] of parsed.data.edits.entries()) {
    const r = applyEdit(text, toFlowEdit(e));
    if (!r.ok)
      return { ok: false, reason: "edit-failed", detail: `Edit ${i + 1} (${e.type}): ${r.error}` };
    text = r.text;
  }
  if (text === ctx.text)
    return { ok: false, reason: "no-change", detail: "The edits leave the flow unchanged." };
  const compiled = ctx.compile(text);
  if (!compiled.ok) {
    const first = compiled.diagnostics?.find((x) => x.severity === "error");
    return {
      ok: false,
      reason: "does-not-compile",
      detail: `The patched flow does not compile${first ? `: ${first.code} ${first.message}` : "."}`,
    };
  }
  const d = diffFlows(ctx.text, text);
  return {
    ok: true,
    draft: {
      rule: "model",
      title: parsed.data.title,
      rationale: `Written by the model ${ctx.modelLabel} (not a rule): ${parsed.data.rationale}`,
      text,
      bump: d.bump,
      nextVersion: d.suggested(ctx.version),
      changes: d.changes.map((x) => `${x.kind}: ${x.reason}`),
    },
  };
}
