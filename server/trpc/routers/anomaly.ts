import { entityState, listAnomalies, markAnomaly } from "@/server/domain/anomaly/anomalies";
import {
  ZAnomalyFeedbackInput,
  ZEntityStateInput,
  ZListAnomaliesInput,
} from "@/server/domain/anomaly/schemas";
import { router, workspaceProcedure } from "../init";

/**
 * Anomaly detection (issue 17): everyone reads the anomalies (baseline, observed value, n, rule)
 * and an entity's state per metric ("not enough data" or its baseline); editors and up mark an
 * anomaly expected or real, which adjusts that entity-metric's threshold (audited).
 */
export const anomalyRouter = router({
  list: workspaceProcedure("viewer")
    .input(ZListAnomaliesInput)
    .query(({ ctx, input }) => listAnomalies(ctx.db, ctx.actor, input)),
  state: workspaceProcedure("viewer")
    .input(ZEntityStateInput)
    .query(({ ctx, input }) => entityState(ctx.db, ctx.actor, input)),
  feedback: workspaceProcedure("editor")
    .input(ZAnomalyFeedbackInput)
    .mutation(({ ctx, input }) => markAnomaly(ctx.db, ctx.actor, input)),
});
