import { createCallerFactory, router } from "./init";
import { approvalRouter } from "./routers/approval";
import { auditRouter } from "./routers/audit";
import { deadLetterRouter } from "./routers/dead-letter";
import { authRouter } from "./routers/auth";
import { connectorRouter } from "./routers/connector";
import { egressRouter } from "./routers/egress";
import { groupRouter } from "./routers/group";
import { modelRouter } from "./routers/model";
import { notificationRouter } from "./routers/notification";
import { runRouter } from "./routers/run";
import { sandboxRouter } from "./routers/sandbox";
import { secretRouter } from "./routers/secret";
import { tokenRouter } from "./routers/token";
import { triggerRouter } from "./routers/trigger";
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
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
