import {
  ZAckAlertInput,
  ZAlertRuleId,
  ZCreateAlertRuleInput,
  ZListAlertEventsInput,
  ZUpdateAlertRuleInput,
} from "@/server/domain/alert/schemas";
import {
  acknowledgeAlert,
  createAlertRule,
  deleteAlertRule,
  listAlertEvents,
  listAlertRules,
  updateAlertRule,
} from "@/server/domain/alert/rules";
import { router, servicesOf, workspaceProcedure } from "../init";

/**
 * Alerts (issue 17): admins create, edit and delete rules (a rule's webhook secret is shown
 * once); everyone reads the rules and the fired alerts; editors and up acknowledge them (audited).
 */
export const alertRouter = router({
  rules: workspaceProcedure("viewer").query(({ ctx }) => listAlertRules(ctx.db, ctx.actor)),
  createRule: workspaceProcedure("admin")
    .input(ZCreateAlertRuleInput)
    .mutation(({ ctx, input }) =>
      createAlertRule({ db: ctx.db, vault: servicesOf(ctx).vault }, ctx.actor, input),
    ),
  updateRule: workspaceProcedure("admin")
    .input(ZUpdateAlertRuleInput)
    .mutation(({ ctx, input }) => updateAlertRule(ctx.db, ctx.actor, input)),
  deleteRule: workspaceProcedure("admin")
    .input(ZAlertRuleId)
    .mutation(({ ctx, input }) => deleteAlertRule(ctx.db, ctx.actor, input)),
  events: workspaceProcedure("viewer")
    .input(ZListAlertEventsInput)
    .query(({ ctx, input }) => listAlertEvents(ctx.db, ctx.actor, input)),
  acknowledge: workspaceProcedure("editor")
    .input(ZAckAlertInput)
    .mutation(({ ctx, input }) => acknowledgeAlert(ctx.db, ctx.actor, input)),
});
