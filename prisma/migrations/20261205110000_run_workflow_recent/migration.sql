-- Issue 13: a workflow's runs newest first (the workflows list's last run of each workflow is
-- one probe of this index; the runs list filtered by workflow reads it in order). It replaces
-- the index on "workflowId" alone, which it covers.
DROP INDEX IF EXISTS "Run_workflowId_idx";
CREATE INDEX "Run_workflowId_createdAt_idx" ON "Run"("workflowId", "createdAt" DESC);
