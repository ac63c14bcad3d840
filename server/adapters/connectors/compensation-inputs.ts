/**
 * The inputs of a compensation. The engine runs a saga's compensation with
 * `{ original: { stepId, inputs, output } }` (`server/engine/compensation.ts`); the compensating
 * block (`billing.account.archive`, `billing.invoice.void`, `billing.refund.create`,
 * `crm.contact.delete`, `crm.deal.delete`, `clm.contract.terminate`, `clm.signature.cancel`)
 * declares what it needs instead: the record's id and perhaps a reason. Each input the block
 * declares is taken from the original step's output (the record it wrote: `accountId`,
 * `invoiceId`, `chargeId`, `id`, `envelopeId`, the charged `amount` and `currency`), else from
 * that step's inputs; a `reason` not found there says what is undone (`saga_rollback` where
 * the reasons are a closed list).
 */
import type { BlockDefinition } from "@/dsl";

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Whether `inputs` is the engine's compensation request (and the block does not take it as is). */
export function isCompensationRequest(
  inputs: Record<string, unknown>,
  definition: Pick<BlockDefinition, "inputSchema">,
): inputs is { original: { stepId: string; inputs: unknown; output: unknown } } {
  const props = definition.inputSchema.properties;
  return (
    Object.keys(inputs).length === 1 &&
    isRecord(inputs.original) &&
    typeof inputs.original.stepId === "string" &&
    !(isRecord(props) && "original" in props)
  );
}

/** The compensating block's inputs, from the step it undoes. */
export function compensationInputs(
  original: { stepId: string; inputs: unknown; output: unknown },
  definition: Pick<BlockDefinition, "inputSchema">,
): Record<string, unknown> {
  const props = isRecord(definition.inputSchema.properties)
    ? definition.inputSchema.properties
    : {};
  const output = isRecord(original.output) ? original.output : {};
  const inputs = isRecord(original.inputs) ? original.inputs : {};
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(props)) {
    // The undo is a request of its own: never the original write's idempotency key.
    if (name === "idempotencyKey") continue;
    const v = output[name] ?? inputs[name];
    if (v !== undefined) out[name] = v;
  }
  const reason = props.reason;
  if (out.reason === undefined && isRecord(reason)) {
    // A closed list of reasons has one for this (`saga_rollback`); a free text says what.
    if (Array.isArray(reason.enum)) {
      if (reason.enum.includes("saga_rollback")) out.reason = "saga_rollback";
    } else if (reason.type === "string") {
      out.reason = `compensation of step ${original.stepId} (saga rollback)`;
    }
  }
  return out;
}
