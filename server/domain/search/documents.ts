/**
 * The searchable document of each kind, as SQL. Each expression is the one indexed by
 * `prisma/migrations/20261206030100_search/migration.sql`, verbatim: PostgreSQL uses an
 * expression index only for the same expression (search.int.test.ts checks the plans).
 * Aliases: `w` Workflow, `v` WorkflowVersion, `r` Run, `a` StepAttempt, `e` AuditEntry.
 */

/** Name (A), description (B), draft text (C). Index partial on `deletedAt IS NULL`. */
export const FLOW_DOC = `(
    setweight(to_tsvector('simple'::regconfig, left(w."name", 1000)), 'A') ||
    setweight(to_tsvector('simple'::regconfig, left(w."description", 10000)), 'B') ||
    setweight(to_tsvector('simple'::regconfig, left(w."draft", 100000)), 'C'))`;

/** Version (A), message (B), text (C). */
export const VERSION_DOC = `(
    setweight(to_tsvector('simple'::regconfig, left(v."version", 200)), 'A') ||
    setweight(to_tsvector('simple'::regconfig, left(v."message", 10000)), 'B') ||
    setweight(to_tsvector('simple'::regconfig, left(v."dsl", 100000)), 'C'))`;

/** The error document of a row with an `error` column, under `alias`. */
export const errorDoc = (alias: string) => `(
    to_tsvector('simple'::regconfig,
        left(coalesce(${alias}."error" ->> 'name', '') || ' ' || coalesce(${alias}."error" ->> 'message', ''), 10000)))`;

/** A run's error, name and message. Index partial on `error IS NOT NULL`. */
export const RUN_ERROR_DOC = errorDoc("r");

/** A step attempt's error, name and message. Index partial on `error IS NOT NULL`. */
export const ATTEMPT_ERROR_DOC = errorDoc("a");

/** Action (A), subject and actor (B), payload (C: already redacted when written). */
export const AUDIT_DOC = `(
    setweight(to_tsvector('simple'::regconfig, translate(left(e."action", 200), '._', '  ')), 'A') ||
    setweight(to_tsvector('simple'::regconfig,
        left(e."subjectType", 200) || ' ' || left(e."subjectId", 200) || ' ' || left(e."actorLabel", 300)), 'B') ||
    setweight(to_tsvector('simple'::regconfig, left(e."payload"::text, 20000)), 'C'))`;

/**
 * The audit entries the search index holds (its partial predicate, under alias `e`): all but the
 * start and end entries every run writes (found through the run itself; see the migration
 * `20261206120000_audit_search_partial`).
 */
export const AUDIT_INDEXED = `NOT (e."subjectType" = 'run'
    AND e."action" IN ('run.start', 'run.succeeded', 'run.failed', 'run.cancelled', 'run.compensated'))`;

/** The indexes, by kind (the plan test looks for these names). */
export const SEARCH_INDEXES = {
  flow: "Workflow_search_idx",
  version: "WorkflowVersion_search_idx",
  run: "Run_search_error_idx",
  stepError: "StepAttempt_search_error_idx",
  audit: "AuditEntry_search_idx",
} as const;
