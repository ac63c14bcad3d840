-- Admission control (issue 11): the active-run cap per workspace counts a workspace's queued,
-- running and waiting runs on every start; this partial index keeps that count off the history.
CREATE INDEX "Run_active_workspace_idx" ON "Run"("workspaceId") WHERE "status" IN ('queued', 'running', 'waiting');
