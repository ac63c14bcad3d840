-- Issue 17 item 8: search across flows, versions, runs, step errors and audit entries.
--
-- Expression GIN indexes only: no new column, no trigger, nothing the engine writes. The
-- expressions are repeated verbatim by `server/domain/search/documents.ts` (a test checks that
-- the planner uses each index). The `simple` configuration (no stemming, no stop words) suits
-- identifiers, step ids and prefix matching as the user types.
--
-- Hot path: the run and attempt indexes are partial on `error IS NOT NULL` and read only the
-- `error` column, so an update that leaves `error` alone (lease, status, output) stays a HOT
-- update and computes no tsvector; only a failure (or a run.start audit entry) pays for one
-- small to_tsvector plus a GIN pending-list insert (fastupdate, the default).
--
-- Every text is cut with left(): a tsvector is limited to 1 MB, and an index expression that
-- failed would fail the write.

CREATE INDEX "Workflow_search_idx" ON "Workflow" USING GIN ((
    setweight(to_tsvector('simple'::regconfig, left("name", 1000)), 'A') ||
    setweight(to_tsvector('simple'::regconfig, left("description", 10000)), 'B') ||
    setweight(to_tsvector('simple'::regconfig, left("draft", 100000)), 'C')
)) WHERE "deletedAt" IS NULL;

CREATE INDEX "WorkflowVersion_search_idx" ON "WorkflowVersion" USING GIN ((
    setweight(to_tsvector('simple'::regconfig, left("version", 200)), 'A') ||
    setweight(to_tsvector('simple'::regconfig, left("message", 10000)), 'B') ||
    setweight(to_tsvector('simple'::regconfig, left("dsl", 100000)), 'C')
));

CREATE INDEX "Run_search_error_idx" ON "Run" USING GIN ((
    to_tsvector('simple'::regconfig,
        left(coalesce("error" ->> 'name', '') || ' ' || coalesce("error" ->> 'message', ''), 10000))
)) WHERE "error" IS NOT NULL;

CREATE INDEX "StepAttempt_search_error_idx" ON "StepAttempt" USING GIN ((
    to_tsvector('simple'::regconfig,
        left(coalesce("error" ->> 'name', '') || ' ' || coalesce("error" ->> 'message', ''), 10000))
)) WHERE "error" IS NOT NULL;

CREATE INDEX "AuditEntry_search_idx" ON "AuditEntry" USING GIN ((
    setweight(to_tsvector('simple'::regconfig, translate(left("action", 200), '._', '  ')), 'A') ||
    setweight(to_tsvector('simple'::regconfig,
        left("subjectType", 200) || ' ' || left("subjectId", 200) || ' ' || left("actorLabel", 300)), 'B') ||
    setweight(to_tsvector('simple'::regconfig, left("payload"::text, 20000)), 'C')
));
