import { createCallerFactory, router } from "./init";
import { auditRouter } from "./routers/audit";
import { authRouter } from "./routers/auth";
import { connectorRouter } from "./routers/connector";
import { modelRouter } from "./routers/model";
import { runRouter } from "./routers/run";
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
  model: modelRouter,
  trigger: triggerRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
