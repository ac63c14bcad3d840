import { z } from "zod";
import { ZWebhookUrl } from "../notification/schemas";

/** What an alert rule watches. */
export const ALERT_KINDS = ["error_rate", "p95", "trust_floor", "anomaly", "prediction"] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

const ZKind = z.enum(ALERT_KINDS, {
  error: "Use one of: error_rate, p95, trust_floor, anomaly, prediction.",
});
const ZEntityKind = z.enum(["flow", "block", "endpoint", "model"], {
  error: "Use one of: flow, block, endpoint, model.",
});

const fields = {
  name: z.string().trim().min(1, "Give the rule a name.").max(120),
  threshold: z.number().finite().min(0).max(3_600_000),
  cooldownMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(60),
  inApp: z.boolean().default(true),
};

/** Thresholds per kind: a share (error rate, trust, risk), milliseconds (p95), unused (anomaly). */
function checkThreshold(v: { kind: AlertKind; threshold: number }, ctx: z.RefinementCtx) {
  if (["error_rate", "trust_floor", "prediction"].includes(v.kind) && v.threshold > 1)
    ctx.addIssue({
      code: "custom",
      path: ["threshold"],
      message: "This kind's threshold is a share between 0 and 1.",
    });
}

export const ZCreateAlertRuleInput = z
  .object({
    ...fields,
    kind: ZKind,
    entityKind: ZEntityKind.optional(),
    entityKey: z.string().trim().min(1).max(600).optional(),
    /** A webhook of the rule's own: its secret is generated, sealed, and shown once. */
    webhookUrl: ZWebhookUrl.optional(),
  })
  .superRefine(checkThreshold)
  .refine((v) => !v.entityKey || v.entityKind, {
    message: "Name the entity's kind too.",
    path: ["entityKind"],
  });

export const ZUpdateAlertRuleInput = z.object({
  id: z.uuid({ error: "Give the rule's id." }),
  name: fields.name.optional(),
  threshold: fields.threshold.optional(),
  cooldownMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .optional(),
  inApp: z.boolean().optional(),
  enabled: z.boolean().optional(),
});

export const ZAlertRuleId = z.object({ id: z.uuid({ error: "Give the rule's id." }) });

export const ZListAlertEventsInput = z.object({
  unacknowledgedOnly: z.boolean().default(false),
  limit: z.number().int().min(1).max(100).default(30),
  /** The `id` of the previous page's last event. */
  cursor: z.uuid().optional(),
});

export const ZAckAlertInput = z.object({ id: z.uuid({ error: "Give the alert's id." }) });
