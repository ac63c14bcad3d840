import { z } from "zod";
import { ZTrustKind } from "../trust/schemas";

/** The time ranges the dashboards offer. */
export const DASHBOARD_RANGES = ["1h", "24h", "7d", "30d"] as const;
export type DashboardRange = (typeof DASHBOARD_RANGES)[number];

export const ZDashboardRange = z.enum(DASHBOARD_RANGES, {
  error: "Use one of: 1h, 24h, 7d, 30d.",
});

export const ZOperationsInput = z.object({ range: ZDashboardRange.default("24h") });
export type OperationsInput = z.infer<typeof ZOperationsInput>;

/** One entity of the Trust page: its score's trend, and the flows behind it. */
export const ZTrustEntityInput = z.object({
  kind: ZTrustKind,
  key: z.string().trim().min(1, "Name an entity.").max(600, "Use at most 600 characters."),
  range: ZDashboardRange.default("30d"),
});
export type TrustEntityInput = z.infer<typeof ZTrustEntityInput>;
