/**
 * The REST shapes of anomaly detection (`GET /anomalies`, issue 17): each anomaly with its
 * entity, metric, rule, baseline, observed value and n.
 */
import { z } from "zod";

export const ZAnomalyQuery = z.object({
  since: z.iso
    .datetime({
      offset: true,
      error: "Give `since` as an ISO 8601 time, such as 2026-12-01T00:00:00Z.",
    })
    .optional()
    .describe("Only anomalies detected at or after this time."),
  kind: z.enum(["flow", "block", "endpoint", "model"]).optional(),
  key: z.string().min(1).max(600).optional().describe("One entity's key (with `kind`)."),
  limit: z.number().int().min(1).max(200).default(50),
  cursor: z.uuid().optional().describe("The previous page's last `id`."),
});

export const ZAnomaly = z
  .object({
    id: z.uuid(),
    kind: z.enum(["flow", "block", "endpoint", "model"]),
    key: z
      .string()
      .describe(
        "Flow: its workflow id; block `id@version`; endpoint `system:block`; model: its name.",
      ),
    label: z.string(),
    metric: z
      .string()
      .describe(
        "error_rate, p95_latency, calls_per_run, tokens, cost, output_volume, writes, or a rogue-block rule's subject: new_endpoint, new_output_fields.",
      ),
    metricLabel: z.string(),
    rule: z
      .string()
      .describe(
        "robust-z (median and MAD of the entity's 15-minute windows), hour-of-week (the same, per hour of the week once three weeks of history exist), tail-exceedance (p95: calls above the usual p95), new-endpoint, new-write-endpoint, new-output-fields.",
      ),
    baseline: z.number().nullable().describe("The baseline median (rules: what was known)."),
    observed: z.number().describe("The observed value over the 15-minute window."),
    n: z.number().int().describe("Observations in the window."),
    score: z.number().nullable().describe("The robust z (null for rule-based anomalies)."),
    threshold: z.number().nullable().describe("The z it had to reach (feedback scales it)."),
    explanation: z.string(),
    windowStart: z.string(),
    detectedAt: z.string(),
    lastSeenAt: z.string().describe("Repeats within the cooldown extend the anomaly."),
    repeats: z.number().int(),
    feedback: z.enum(["expected", "real"]).nullable(),
    feedbackBy: z.string().nullable(),
  })
  .meta({ id: "Anomaly" });
