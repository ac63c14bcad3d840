/**
 * Everything the Triggers panel of one workflow shows: what starts the flow that triggers fire
 * (the latest saved version, else the draft) and whether the draft says otherwise, its webhook
 * (where it listens, the secret's last characters, an example body for a signed `curl`) and its
 * schedule with the next five fire times as the scheduler computes them.
 */
import type { z } from "zod";
import type { FlowIR, TriggerIR, JsonSchema } from "@/dsl";
import { validatorFor } from "@/server/engine/runtimes/support";
import { notFound } from "../errors";
import type { Actor, Db } from "../types";
import { compileFlowCached } from "../workflow/compile-flow";
import { currentFlows } from "./current-flow";
import { PREVIEW_FIRES, previewSchedule } from "./schedule-preview";
import type { ZWorkflowRefInput } from "./schemas";
import { webhookPath } from "./webhooks";

type TriggerView = TriggerIR | { type: "invalid"; problem: string };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A body a sender could post: each input's first example, else its default, else (required
 * ones only) an empty value of its type. The flow's schema decides whether it is accepted; the
 * panel says so when it is not.
 */
export function exampleInputs(schema: JsonSchema): Record<string, unknown> {
  const props = isRecord(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(props)) {
    const p = isRecord(raw) ? raw : {};
    if (Array.isArray(p.examples) && p.examples.length > 0) out[name] = p.examples[0];
    else if ("default" in p) out[name] = p.default;
    else if (Array.isArray(p.enum) && p.enum.length > 0 && required.has(name))
      out[name] = p.enum[0];
    else if (required.has(name)) out[name] = emptyOf(p.type);
  }
  return out;
}

function emptyOf(type: unknown): unknown {
  switch (Array.isArray(type) ? type[0] : type) {
    case "number":
    case "integer":
      return 0;
    case "boolean":
      return false;
    case "array":
      return [];
    case "object":
      return {};
    default:
      return "";
  }
}

/** The triggers of one workflow (viewers). */
export async function getWorkflowTriggers(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZWorkflowRefInput>,
) {
  const wf = await db.workflow.findFirst({
    where: { id: input.workflowId, workspaceId: actor.workspaceId, deletedAt: null },
    select: { id: true, draft: true, updatedAt: true, workspace: { select: { slug: true } } },
  });
  if (!wf) throw notFound("Workflow");
  const [[current], secret, lastFire] = await Promise.all([
    currentFlows(db, { workspaceId: actor.workspaceId, workflowIds: [wf.id] }),
    db.webhookSecret.findFirst({
      where: { workflowId: wf.id, workspaceId: actor.workspaceId },
      select: { flowName: true, hint: true, rotatedAt: true },
    }),
    db.scheduleFire.findFirst({
      where: { workflowId: wf.id, workspaceId: actor.workspaceId },
      orderBy: { fireAt: "desc" },
      select: { fireAt: true },
    }),
  ]);
  const ir: FlowIR | null = current?.ir ?? null;
  const trigger: TriggerView = ir
    ? ir.trigger
    : { type: "invalid", problem: current?.problems[0] ?? "the flow does not compile" };
  // The draft's own trigger, when versions exist and the draft says something else.
  let draftTrigger: TriggerView | null = null;
  if (current?.version) {
    const d = compileFlowCached(`d:${wf.id}:${wf.updatedAt.getTime()}`, wf.draft);
    const t: TriggerView = d.ir
      ? d.ir.trigger
      : { type: "invalid", problem: d.problems[0] ?? "the draft does not compile" };
    if (JSON.stringify(t) !== JSON.stringify(trigger)) draftTrigger = t;
  }
  const example = ir ? exampleInputs(ir.inputsSchema) : {};
  const exampleValid = ir ? validatorFor(ir.inputsSchema)(example) : false;

  let schedule = null;
  if (ir?.trigger.type === "schedule") {
    let fires: string[] = [];
    let error: string | null = null;
    try {
      fires = previewSchedule(ir.trigger.cron, Date.now(), PREVIEW_FIRES).fires.map((t) =>
        new Date(t).toISOString(),
      );
    } catch (e) {
      error = (e as Error).message;
    }
    schedule = {
      cron: ir.trigger.cron,
      valid: error === null,
      error,
      fires,
      lastFireAt: lastFire?.fireAt.toISOString() ?? null,
      // `fireDueSchedules` starts scheduled runs with no inputs.
      refused: validatorFor(ir.inputsSchema)({})
        ? null
        : "The flow requires inputs a schedule cannot give: each fire is recorded and refused.",
    };
  }

  return {
    workflowId: wf.id,
    flowName: ir?.name ?? null,
    /** The saved version triggers fire, or null: the draft (no version saved yet). */
    version: current?.version ?? null,
    trigger,
    draftTrigger,
    webhook: {
      configured: secret !== null,
      hint: secret?.hint ?? null,
      rotatedAt: secret?.rotatedAt ?? null,
      /** Where deliveries go: the configured path, else where the flow would listen. */
      path: secret
        ? webhookPath(wf.workspace.slug, secret.flowName)
        : ir
          ? webhookPath(wf.workspace.slug, ir.name)
          : null,
      /** The secret was made for another flow name (the flow was renamed since): rotate. */
      stale: secret !== null && ir !== null && secret.flowName !== ir.name,
      exampleBody: JSON.stringify(example),
      exampleValid,
    },
    schedule,
  };
}
