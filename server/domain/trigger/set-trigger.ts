/**
 * Changing what starts a flow from the Triggers panel: the draft's top-level `trigger:` is
 * replaced (or added) as one line, `trigger: { schedule: { cron: "…" } }`, everything else of
 * the text (comments, layout, steps) left as it was, and the draft saved like the studio saves
 * it. A flow has one trigger, so scheduling a webhook flow replaces its webhook. Triggers fire
 * the latest saved version (the draft only while none is saved): the answer says whether the
 * change is live or waits for a version.
 */
import type { z } from "zod";
import { isMap, isScalar, parseDocument, type Pair } from "yaml";
import { MAX_SCANNED_NESTING, scanNesting } from "@/dsl";
import { appendAudit } from "../audit/ledger";
import { AppError, notFound } from "../errors";
import type { Actor, Db } from "../types";
import { saveDraft } from "../workflow/versions";
import { previewSchedule } from "./schedule-preview";
import type { ZSetTriggerInput } from "./schemas";

/** A trigger as the panel sets it. */
export type TriggerChoice =
  { type: "manual" } | { type: "webhook" } | { type: "schedule"; cron: string };

/** The one-line YAML of a trigger. */
export function triggerYaml(t: TriggerChoice): string {
  if (t.type === "schedule") return `trigger: { schedule: { cron: ${JSON.stringify(t.cron)} } }`;
  return `trigger: { ${t.type}: {} }`;
}

/**
 * `text` with its top-level `trigger` set to `t`. Throws `PRECONDITION_FAILED` when the text is
 * not a YAML mapping this can edit safely (a syntax error, a flow-style document, nesting past
 * the parser's bound): fix it in the studio first.
 */
export function setFlowTrigger(text: string, t: TriggerChoice): string {
  const refuse = (why: string) =>
    new AppError("PRECONDITION_FAILED", {
      message: `The draft cannot be changed here: ${why}. Fix it in the studio first.`,
    });
  if (scanNesting(text, MAX_SCANNED_NESTING) !== undefined) throw refuse("it nests too deeply");
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length > 0) throw refuse(`it is not valid YAML (${doc.errors[0]!.message})`);
  const top = doc.contents;
  if (!isMap(top) || top.flow) throw refuse("it is not a block mapping of flow fields");
  const line = triggerYaml(t);
  const pairs = top.items as Pair[];
  const existing = pairs.find((p) => isScalar(p.key) && p.key.value === "trigger");
  let out: string;
  if (existing) {
    const start = (existing.key as { range?: [number, number, number] }).range?.[0];
    const valueRange = (existing.value as { range?: [number, number, number] } | null)?.range;
    if (start === undefined || !valueRange) throw refuse("its `trigger:` has no value");
    const end = valueRange[1];
    // A block value's range ends after its last line break: keep one there.
    const newline = text.slice(start, end).endsWith("\n") ? "\n" : "";
    out = text.slice(0, start) + line + newline + text.slice(end);
  } else {
    // Before `steps:` (where the templates keep it), else at the end.
    const steps = pairs.find((p) => isScalar(p.key) && p.key.value === "steps");
    const at = (steps?.key as { range?: [number, number, number] } | undefined)?.range?.[0];
    out =
      at !== undefined
        ? `${text.slice(0, at)}${line}\n\n${text.slice(at)}`
        : `${text}${text.endsWith("\n") || text === "" ? "" : "\n"}${line}\n`;
  }
  // The edit must say exactly what was asked, and nothing else may have moved.
  const check = parseDocument(out);
  const got = check.errors.length ? undefined : (check.toJSON() as Record<string, unknown>);
  const want = t.type === "schedule" ? { schedule: { cron: t.cron } } : { [t.type]: {} as unknown };
  if (!got || JSON.stringify(got.trigger) !== JSON.stringify(want))
    throw refuse("its layout is unusual around `trigger:`");
  return out;
}

/**
 * Sets the draft's trigger (editors). A schedule's cron is checked with the scheduler's own
 * parser first: an expression it cannot fire is refused and changes nothing.
 */
export async function setTrigger(db: Db, actor: Actor, input: z.infer<typeof ZSetTriggerInput>) {
  const t: TriggerChoice =
    input.trigger.type === "schedule"
      ? { type: "schedule", cron: previewSchedule(input.trigger.cron, Date.now()).cron }
      : input.trigger;
  const wf = await db.workflow.findFirst({
    where: { id: input.workflowId, workspaceId: actor.workspaceId, deletedAt: null },
    select: { id: true, draft: true, _count: { select: { versions: true } } },
  });
  if (!wf) throw notFound("Workflow");
  const dsl = setFlowTrigger(wf.draft, t);
  const saved = await saveDraft(db, actor, { id: wf.id, dsl });
  // The draft save's entry says how many bytes changed; this one says what.
  if (saved.changed)
    await db.$transaction((tx) =>
      appendAudit(tx, actor, {
        action: "workflow.trigger.set",
        subjectType: "workflow",
        subjectId: wf.id,
        payload: { trigger: t, live: wf._count.versions === 0 },
      }),
    );
  return {
    changed: saved.changed,
    // With a saved version, triggers follow that version until the next one is saved.
    live: wf._count.versions === 0,
    trigger: t,
  };
}
