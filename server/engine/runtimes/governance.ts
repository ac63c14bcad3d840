/**
 * Governance and human runtimes: `policy.check` (a CEL rule at run time, with `otherwise`),
 * `policy.consent`, `human.approval` and `human.form` (park until a person decides).
 */
import { ConsentError, NonRetryableError } from "../errors";
import { park, type BlockRuntime, type ResumeSignal, type RuntimeRequest } from "../ports";
import { asObject, durationMs, schemaErrors } from "./support";

function rejected(
  what: string,
  signal: Extract<ResumeSignal, { kind: "decision" }>,
): NonRetryableError {
  const d = signal.payload;
  return new NonRetryableError(`${what} rejected by ${d.by}${d.comment ? `: ${d.comment}` : ""}`, {
    classification: { category: "authz", severity: "medium" },
    detail: { decidedBy: d.by, comment: d.comment ?? null },
  });
}

/**
 * Who decides a policy exception: the step's `approvers` (a `role`, `group` or `users`), else the
 * workspace's approvers (`role: approver`: approvers and admins).
 */
export function approversOf(value: unknown): Record<string, unknown> {
  const a = asObject(value);
  return Object.keys(a).length ? a : { role: "approver" };
}

/** `policy.check`: pass, or per `otherwise` fail / park for approval / continue. */
export const policyCheckRuntime: BlockRuntime = {
  execute({ inputs, services }) {
    const rule = String(inputs.rule ?? "");
    const v = services.evaluate(rule);
    if (typeof v !== "boolean")
      throw new NonRetryableError(
        `policy rule must evaluate to a boolean, got ${JSON.stringify(v)}`,
      );
    if (v) return { passed: true, decision: "pass" };
    const message =
      typeof inputs.message === "string" ? inputs.message : `policy rule failed: ${rule}`;
    switch (inputs.otherwise) {
      case "continue":
        return { passed: false, decision: "continued" };
      case "approval":
        return park("approval", undefined, {
          rule,
          message,
          approvers: approversOf(inputs.approvers),
        });
      default:
        throw new NonRetryableError(message, {
          classification: { category: "authz", severity: "high" },
          detail: { rule },
        });
    }
  },
  resume(_req, signal) {
    if (signal.kind !== "decision")
      throw new NonRetryableError(`a policy check cannot be resumed by a ${signal.kind}`);
    if (!signal.payload.approved) throw rejected("policy exception", signal);
    return { passed: false, decision: "approved" };
  },
};

/**
 * `policy.consent`: the consent id of the data subject for `purpose`, read from the run's inputs
 * (`consents.<purpose>` or `consentId`) until a consent registry connector exists. With
 * `require` (default) a missing consent fails closed.
 */
export const consentRuntime: BlockRuntime = {
  execute({ inputs, run, consentId, services }) {
    const purpose = String(inputs.purpose ?? "");
    const consents = asObject(run.inputs.consents);
    const id =
      (typeof consents[purpose] === "string" ? (consents[purpose] as string) : null) ??
      consentId ??
      (typeof run.inputs.consentId === "string" ? run.inputs.consentId : null);
    if (!id && inputs.require !== false) {
      throw new ConsentError(
        `no consent of subject ${String(inputs.subjectId)} for purpose "${purpose}"`,
      );
    }
    return {
      granted: Boolean(id),
      consentId: id,
      purpose,
      grantedAt: id ? new Date(services.now()).toISOString() : null,
    };
  },
};

function humanTimeout(req: RuntimeRequest): number | undefined {
  return req.inputs.timeout === undefined
    ? undefined
    : req.services.now() + durationMs(req.inputs.timeout);
}

/**
 * `human.approval`: parks until `resumeStep` delivers a decision. A rejection fails the step
 * (non-retryable). After `timeout` the step follows `onTimeout`: reject (default), approve, or
 * escalate (keeps waiting with no further timer; notifications arrive in part 2).
 */
export const approvalRuntime: BlockRuntime = {
  execute(req) {
    const approvers = asObject(req.inputs.approvers);
    return park("approval", humanTimeout(req), { approvers, message: req.inputs.message ?? "" });
  },
  resume(req, signal) {
    if (signal.kind === "timer") {
      const at = new Date(signal.at).toISOString();
      if (req.inputs.onTimeout === "approve")
        return { approved: true, decidedBy: [], decidedAt: at, timedOut: true };
      if (req.inputs.onTimeout === "escalate")
        return park("approval", undefined, { escalated: true });
      throw new NonRetryableError("approval timed out", {
        classification: { category: "performance", severity: "medium" },
      });
    }
    if (signal.kind !== "decision")
      throw new NonRetryableError("an approval is resumed by a decision");
    if (!signal.payload.approved) throw rejected("approval", signal);
    const d = signal.payload;
    const out: Record<string, unknown> = {
      approved: true,
      decidedBy: d.decidedBy?.length ? d.decidedBy : [d.by],
      decidedAt: new Date(d.at).toISOString(),
      timedOut: false,
    };
    if (d.comment) out.comment = d.comment;
    return out;
  },
};

/** `human.form`: parks until a person submits values, which must match `schema`. */
export const formRuntime: BlockRuntime = {
  execute(req) {
    return park("form", humanTimeout(req), {
      title: req.inputs.title ?? "",
      schema: req.inputs.schema ?? {},
    });
  },
  resume(req, signal) {
    if (signal.kind === "timer")
      throw new NonRetryableError("form timed out", {
        classification: { category: "performance", severity: "medium" },
      });
    if (signal.kind !== "decision")
      throw new NonRetryableError("a form is resumed by a submission");
    if (!signal.payload.approved) throw rejected("form", signal);
    const values = asObject(signal.payload.values);
    const errors = schemaErrors(req.inputs.schema ?? {}, values);
    if (errors.length) {
      throw new NonRetryableError(
        `form values do not match the schema: ${errors[0]!.path} ${errors[0]!.message}`,
        { detail: { errors } },
      );
    }
    return {
      values,
      submittedBy: signal.payload.by,
      submittedAt: new Date(signal.payload.at).toISOString(),
    };
  },
};
