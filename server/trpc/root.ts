import { createCallerFactory, router } from "./init";
import { alertRouter } from "./routers/alert";
import { anomalyRouter } from "./routers/anomaly";
import { approvalRouter } from "./routers/approval";
import { auditRouter } from "./routers/audit";
import { deadLetterRouter } from "./routers/dead-letter";
import { dashboardRouter } from "./routers/dashboard";
import { authRouter } from "./routers/auth";
import { connectorRouter } from "./routers/connector";
import { datasetRouter } from "./routers/dataset";
import { egressRouter } from "./routers/egress";
import { evalSuiteRouter } from "./routers/eval-suite";
import { scriptedModelRouter } from "./routers/scripted-model";
import { groupRouter } from "./routers/group";
import { guardianModelRouter } from "./routers/guardian-model";
import { guardianReviewRouter } from "./routers/guardian-review";
import { guardianRouter } from "./routers/guardian";
import { modelRouter } from "./routers/model";
import { notificationRouter } from "./routers/notification";
import { predictionRouter } from "./routers/prediction";
import { runRouter } from "./routers/run";
import { sandboxRouter } from "./routers/sandbox";
import { searchRouter } from "./routers/search";
import { secretRouter } from "./routers/secret";
import { tokenRouter } from "./routers/token";
import { triggerRouter } from "./routers/trigger";
import { trustRouter } from "./routers/trust";
import { workflowRouter } from "./routers/workflow";
import { workspaceRouter } from "./routers/workspace";

export const appRouter = router({
  auth: authRouter,
  workspace: workspaceRouter,
  workflow: workflowRouter,
  audit: auditRouter,
  token: tokenRouter,
  run: runRouter,
  connector: connectorRouter,
  egress: egressRouter,
  model: modelRouter,
  trigger: triggerRouter,
  secret: secretRouter,
  group: groupRouter,
  approval: approvalRouter,
  deadLetter: deadLetterRouter,
  notification: notificationRouter,
  sandbox: sandboxRouter,
  dataset: datasetRouter,
  evalSuite: evalSuiteRouter,
  scriptedModel: scriptedModelRouter,
  search: searchRouter,
  trust: trustRouter,
  guardian: guardianRouter,
  prediction: predictionRouter,
  dashboard: dashboardRouter,
  guardianReview: guardianReviewRouter,
  guardianModel: guardianModelRouter,
  anomaly: anomalyRouter,
  alert: alertRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
