-- A run's parent and the run it replays are rare (sub-flows, replays); every run used to add an
-- entry for its NULL to both indexes (issue 14 item 8: two index insertions of every run's
-- statement, inside the workspace's serialised ledger write). Both are only searched by value
-- (`= $1`: a parent's children, a run's replays), which a partial index over the non-NULL
-- values answers the same.

DROP INDEX "Run_parentRunId_idx";
CREATE INDEX "Run_parentRunId_idx" ON "Run"("parentRunId") WHERE "parentRunId" IS NOT NULL;

DROP INDEX "Run_replayOfRunId_idx";
CREATE INDEX "Run_replayOfRunId_idx" ON "Run"("replayOfRunId") WHERE "replayOfRunId" IS NOT NULL;
