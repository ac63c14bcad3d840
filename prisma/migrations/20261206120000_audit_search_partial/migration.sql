-- The ledger's search index without the entries every run writes (issue 14 item 8, issue 17
-- item 8). Each run wrote two entries into it (`run.start` and its end, `run.succeeded` /
-- `run.failed` / `run.cancelled` / `run.compensated`), each computing a tsvector of its payload
-- and inserting it into the GIN pending list, on the hot path, inside the workspace's serialised
-- ledger write: 0.15 ms of PostgreSQL CPU per run, 12 % of the 2-step webhook's throughput
-- (bench/RESULTS.md). Those entries hold ids, hashes and the run's error, which search finds
-- through the run itself (its id prefix, its flow, its error: `Run_search_error_idx`), and the
-- audit page filters them by action and subject. Every other entry stays searchable, run
-- entries written by people included (cancel, replay, step approvals, trust gates).
-- The predicate is repeated verbatim by `server/domain/search/documents.ts` (AUDIT_INDEXED).

DROP INDEX "AuditEntry_search_idx";

CREATE INDEX "AuditEntry_search_idx" ON "AuditEntry" USING GIN ((
    setweight(to_tsvector('simple'::regconfig, translate(left("action", 200), '._', '  ')), 'A') ||
    setweight(to_tsvector('simple'::regconfig,
        left("subjectType", 200) || ' ' || left("subjectId", 200) || ' ' || left("actorLabel", 300)), 'B') ||
    setweight(to_tsvector('simple'::regconfig, left("payload"::text, 20000)), 'C')
)) WHERE NOT ("subjectType" = 'run'
    AND "action" IN ('run.start', 'run.succeeded', 'run.failed', 'run.cancelled', 'run.compensated'));
