/**
 * Search across the workspace's flows, versions, runs, step errors and audit entries: PostgreSQL
 * full-text search (`to_tsquery('simple', …)` against the expression GIN indexes of
 * `documents.ts`), the same on PGlite. Results come grouped by kind, best first, each with a
 * highlighted snippet (`ts_headline`) and the page that shows it.
 *
 * Scope: the caller's workspace, and what a viewer already reads there (the workflow list, the
 * run list — flow, status, who started it, its error; never its inputs —, a run's steps and the
 * audit log, whose payloads are redacted when written). Bounded: the text is capped by the input
 * schema, the words by `parseQuery`, each kind by `limit` and a statement timeout; a kind that
 * times out comes back empty and marked, the others still answer.
 */
import { z } from "zod";
import { AppError } from "../errors";
import type { Actor, Db } from "../types";
import {
  ATTEMPT_ERROR_DOC,
  AUDIT_DOC,
  AUDIT_INDEXED,
  errorDoc,
  FLOW_DOC,
  RUN_ERROR_DOC,
  VERSION_DOC,
} from "./documents";
import { MAX_QUERY_CHARS, parseQuery, type ParsedQuery } from "./query";

export const SEARCH_KINDS = ["flow", "version", "run", "stepError", "audit"] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];

/** Most results per kind a caller may ask for. */
export const MAX_LIMIT = 20;
/** Each kind's query is cancelled by PostgreSQL after this long. */
export const STATEMENT_TIMEOUT_MS = 3000;

export const ZSearchInput = z.object({
  q: z.string().trim().max(MAX_QUERY_CHARS, `Search for at most ${MAX_QUERY_CHARS} characters.`),
  limit: z.number().int().min(1).max(MAX_LIMIT).default(5),
  kinds: z.array(z.enum(SEARCH_KINDS)).min(1).max(SEARCH_KINDS.length).optional(),
});
export type SearchInput = z.input<typeof ZSearchInput>;

/** A piece of a snippet; `hit` marks the words that matched. */
export interface SnippetPart {
  text: string;
  hit: boolean;
}

export interface SearchHit {
  kind: SearchKind;
  /** Unique within its kind. */
  id: string;
  title: string;
  /** A second line: flow, status, who, when. */
  detail: string;
  snippet: SnippetPart[];
  href: string;
  at: Date | null;
  rank: number;
}

export interface SearchGroup {
  kind: SearchKind;
  label: string;
  items: SearchHit[];
  /** More matched than `limit`. */
  more: boolean;
  /** The kind's query was cancelled by the statement timeout: its list is empty, not complete. */
  timedOut: boolean;
}

export interface SearchResult {
  /** The words searched for, as understood (the palette shows them when nothing matched). */
  terms: string[];
  groups: SearchGroup[];
}

const LABELS: Record<SearchKind, string> = {
  flow: "Flows",
  version: "Versions",
  run: "Runs",
  stepError: "Step errors",
  audit: "Audit entries",
};

const START = "\u0001";
const STOP = "\u0002";
/** ts_headline's options: control characters mark the hits, so no HTML travels. */
const HEADLINE = `StartSel=${START}, StopSel=${STOP}, MaxWords=18, MinWords=6, MaxFragments=2, FragmentDelimiter=" … "`;

export async function search(db: Db, actor: Actor, raw: SearchInput): Promise<SearchResult> {
  const parsed = ZSearchInput.safeParse(raw);
  if (!parsed.success) {
    throw new AppError("INVALID_INPUT", {
      message: parsed.error.issues[0]?.message ?? "This search is not valid.",
    });
  }
  const input = parsed.data;
  const query = parseQuery(input.q);
  const kinds = input.kinds ?? SEARCH_KINDS;
  const groups: SearchGroup[] = [];
  // One kind after another: on PGlite they would queue anyway, and on PostgreSQL this keeps a
  // palette's keystrokes to one connection each.
  for (const kind of kinds) {
    groups.push(await searchKind(db, actor.workspaceId, kind, query, input.limit));
  }
  return { terms: query.terms, groups };
}

async function searchKind(
  db: Db,
  workspaceId: string,
  kind: SearchKind,
  query: ParsedQuery,
  limit: number,
): Promise<SearchGroup> {
  const group: SearchGroup = { kind, label: LABELS[kind], items: [], more: false, timedOut: false };
  const built = BUILDERS[kind](query);
  if (!built) return group;
  try {
    const [, rows] = await db.$transaction([
      db.$executeRawUnsafe(`SET LOCAL statement_timeout = ${STATEMENT_TIMEOUT_MS}`),
      db.$queryRawUnsafe<Row[]>(built.sql, workspaceId, limit + 1, HEADLINE, ...built.params),
    ]);
    group.more = rows.length > limit;
    group.items = rows.slice(0, limit).map((row) => built.hit(row));
  } catch (err) {
    if (!isStatementTimeout(err)) throw err;
    group.timedOut = true;
  }
  return group;
}

function isStatementTimeout(err: unknown): boolean {
  const text = err instanceof Error ? `${err.message} ${String(err.cause ?? "")}` : String(err);
  return /statement timeout|57014/.test(text);
}

type Row = Record<string, unknown>;

/**
 * The SQL `search` sends for one kind and text, and its parameters after `$1` (workspace) and
 * `$2` (rows to fetch); null when the text gives that kind nothing to look for. For plans.
 */
export function searchSql(
  kind: SearchKind,
  text: string,
): { sql: string; params: unknown[] } | null {
  const built = BUILDERS[kind](parseQuery(text));
  return built ? { sql: built.sql, params: [HEADLINE, ...built.params] } : null;
}

/** A kind's SQL: `$1` workspace, `$2` limit + 1, `$3` headline options, then `params`. */
interface Built {
  sql: string;
  params: unknown[];
  hit(row: Row): SearchHit;
}

const BUILDERS: Record<SearchKind, (q: ParsedQuery) => Built | null> = {
  flow: (q) =>
    q.tsquery === null
      ? null
      : {
          sql: `
      SELECT w.id::text AS id, w.name, w."updatedAt" AS at, w.rank,
             ts_headline('simple', left(w.description || E'\\n' || w.draft, 20000),
                         to_tsquery('simple', $4), $3) AS snippet
        FROM (SELECT w.id, w.name, w.description, w.draft, w."updatedAt",
                     ts_rank(${FLOW_DOC}, to_tsquery('simple', $4)) AS rank
                FROM "Workflow" w
               WHERE w."workspaceId" = $1::uuid AND w."deletedAt" IS NULL
                 AND ${FLOW_DOC} @@ to_tsquery('simple', $4)
               ORDER BY rank DESC, w."updatedAt" DESC
               LIMIT $2) w
       ORDER BY w.rank DESC, w."updatedAt" DESC`,
          params: [q.tsquery],
          hit: (r) => ({
            kind: "flow",
            id: str(r.id),
            title: str(r.name),
            detail: "Flow",
            snippet: snippetParts(r.snippet),
            href: `/studio/${str(r.id)}`,
            at: date(r.at),
            rank: Number(r.rank),
          }),
        },

  version: (q) =>
    q.tsquery === null
      ? null
      : {
          sql: `
      SELECT v.id::text AS id, v."workflowId"::text AS "workflowId", v.flow, v.version,
             v."createdAt" AS at, v.rank,
             ts_headline('simple', left(v.message || E'\\n' || v.dsl, 20000),
                         to_tsquery('simple', $4), $3) AS snippet
        FROM (SELECT v.id, v."workflowId", w.name AS flow, v.version, v.message, v.dsl,
                     v."createdAt", ts_rank(${VERSION_DOC}, to_tsquery('simple', $4)) AS rank
                FROM "WorkflowVersion" v
                JOIN "Workflow" w ON w.id = v."workflowId"
               WHERE w."workspaceId" = $1::uuid AND w."deletedAt" IS NULL
                 AND ${VERSION_DOC} @@ to_tsquery('simple', $4)
               ORDER BY rank DESC, v."createdAt" DESC
               LIMIT $2) v
       ORDER BY v.rank DESC, v."createdAt" DESC`,
          params: [q.tsquery],
          hit: (r) => ({
            kind: "version",
            id: str(r.id),
            title: `${str(r.flow)} v${str(r.version)}`,
            detail: "Version",
            snippet: snippetParts(r.snippet),
            // The workflow's page lists its versions (the studio opens the current text).
            href: `/workflows/${str(r.workflowId)}`,
            at: date(r.at),
            rank: Number(r.rank),
          }),
        },

  run: (q) => {
    // A run is found by its id (or a prefix of 8+ hex digits), or by its error text or its
    // flow's name, optionally narrowed by the statuses named (`failed invoice`). The text
    // match collects ids from the error index and the flow's runs (a UNION: an OR across the
    // two would scan every run of the workspace).
    const params: unknown[] = [];
    const param = (value: unknown, cast: string) => {
      params.push(value);
      return `$${params.length + 3}::${cast}`;
    };
    const branches: string[] = [];
    let idMatch = "false";
    if (q.idRange) {
      idMatch = `run.id BETWEEN ${param(q.idRange.from, "uuid")} AND ${param(q.idRange.to, "uuid")}`;
      branches.push(idMatch);
    }
    let textRank = "0";
    let tsq: string | null = null;
    const filters: string[] = [];
    if (q.runTsquery) {
      tsq = `to_tsquery('simple', ${param(q.runTsquery, "text")})`;
      filters.push(`run.id IN (
            SELECT r.id FROM "Run" r
             WHERE r."workspaceId" = $1::uuid AND r.error IS NOT NULL AND ${RUN_ERROR_DOC} @@ ${tsq}
            UNION ALL
            SELECT r.id FROM "Run" r JOIN "Workflow" f ON f.id = r."workflowId"
             WHERE f."workspaceId" = $1::uuid AND r."workspaceId" = $1::uuid
               AND to_tsvector('simple', f.name) @@ ${tsq})`);
      textRank = `CASE WHEN run.error IS NOT NULL THEN ts_rank(${errorDoc("run")}, ${tsq}) ELSE 0 END`;
    }
    if (q.statuses.length > 0)
      filters.push(`run.status::text = ANY(${param(q.statuses, "text[]")})`);
    if (filters.length > 0) branches.push(`(${filters.join(" AND ")})`);
    if (branches.length === 0) return null;
    const errorText = `coalesce(run.error ->> 'name', '') || ': ' || coalesce(run.error ->> 'message', '')`;
    return {
      sql: `
      SELECT run.id::text AS id, run.status::text AS status, run.version, run."startedBy",
             run."createdAt" AS at, run.rank, w.name AS flow,
             ${
               tsq
                 ? `CASE WHEN run.error IS NOT NULL THEN ts_headline('simple', left(${errorText}, 5000), ${tsq}, $3) END`
                 : // No words to highlight: the error's start ($3 unused, still needs a type).
                   `CASE WHEN $3::text IS NOT NULL AND run.error IS NOT NULL THEN left(${errorText}, 300) END`
             } AS snippet
        FROM (SELECT run.id, run.status, run.version, run."startedBy", run."createdAt", run.error,
                     run."workflowId", (CASE WHEN ${idMatch} THEN 10 ELSE 0 END) + ${textRank} AS rank
                FROM "Run" run
               WHERE run."workspaceId" = $1::uuid AND (${branches.join(" OR ")})
               ORDER BY ${tsq || q.idRange ? "rank DESC, " : ""}run."createdAt" DESC
               LIMIT $2) run
        LEFT JOIN "Workflow" w ON w.id = run."workflowId"
       ORDER BY run.rank DESC, run."createdAt" DESC`,
      params,
      hit: (r) => {
        const version =
          r.version === null || r.version === "draft" ? "(draft)" : `v${str(r.version)}`;
        return {
          kind: "run",
          id: str(r.id),
          title: `${r.flow === null ? "Run" : str(r.flow)} ${version}`,
          detail: [
            `Run ${str(r.id).slice(0, 8)}`,
            str(r.status),
            r.startedBy ? str(r.startedBy) : null,
          ]
            .filter(Boolean)
            .join(" · "),
          snippet: snippetParts(r.snippet),
          href: `/runs/${str(r.id)}`,
          at: date(r.at),
          rank: Number(r.rank),
        };
      },
    };
  },

  stepError: (q) =>
    q.tsquery === null
      ? null
      : {
          // The last failed attempt of each step (its earlier attempts failed alike, mostly);
          // a step whose retries ran out is marked dead-lettered.
          sql: `
      SELECT a."runId"::text AS "runId", a."stepId", a.attempt, a."finishedAt" AS at, a.rank,
             w.name AS flow, a.error ->> 'name' AS "errorName",
             ts_headline('simple',
                 left(coalesce(a.error ->> 'name', '') || ': ' || coalesce(a.error ->> 'message', ''), 5000),
                 to_tsquery('simple', $4), $3) AS snippet,
             EXISTS (SELECT 1 FROM "DeadLetter" d
                      WHERE d."runId" = a."runId" AND d."stepId" = a."stepId") AS "deadLettered"
        FROM (SELECT DISTINCT ON (a."runId", a."stepId")
                     a."runId", a."stepId", a.attempt, a.error, a."finishedAt", r."workflowId",
                     ts_rank(${ATTEMPT_ERROR_DOC}, to_tsquery('simple', $4)) AS rank
                FROM "StepAttempt" a
                JOIN "Run" r ON r.id = a."runId"
               WHERE r."workspaceId" = $1::uuid AND a.error IS NOT NULL AND a.status = 'failed'
                 AND ${ATTEMPT_ERROR_DOC} @@ to_tsquery('simple', $4)
               ORDER BY a."runId", a."stepId", a.attempt DESC) a
        LEFT JOIN "Workflow" w ON w.id = a."workflowId"
       ORDER BY a.rank DESC, a."finishedAt" DESC NULLS LAST
       LIMIT $2`,
          params: [q.tsquery],
          hit: (r) => ({
            kind: "stepError",
            id: `${str(r.runId)}/${str(r.stepId)}`,
            title: `${str(r.stepId)} — ${r.errorName ? str(r.errorName) : "error"}`,
            detail: [
              r.flow === null ? "Run" : str(r.flow),
              `run ${str(r.runId).slice(0, 8)}`,
              `attempt ${Number(r.attempt)}`,
              r.deadLettered ? "dead-lettered" : null,
            ]
              .filter(Boolean)
              .join(" · "),
            snippet: snippetParts(r.snippet),
            href: `/runs/${str(r.runId)}?step=${encodeURIComponent(str(r.stepId))}`,
            at: date(r.at),
            rank: Number(r.rank),
          }),
        },

  audit: (q) =>
    q.tsquery === null
      ? null
      : {
          sql: `
      SELECT e.seq, e.action, e."subjectType", e."subjectId", e."actorLabel", e.at, e.rank,
             ts_headline('simple', left(e.payload::text, 5000), to_tsquery('simple', $4), $3) AS snippet
        FROM (SELECT e.seq, e.action, e."subjectType", e."subjectId", e."actorLabel", e.at, e.payload,
                     ts_rank(${AUDIT_DOC}, to_tsquery('simple', $4)) AS rank
                FROM "AuditEntry" e
               WHERE e."workspaceId" = $1::uuid AND ${AUDIT_INDEXED}
                 AND ${AUDIT_DOC} @@ to_tsquery('simple', $4)
               ORDER BY rank DESC, e.seq DESC
               LIMIT $2) e
       ORDER BY e.rank DESC, e.seq DESC`,
          params: [q.tsquery],
          hit: (r) => ({
            kind: "audit",
            id: String(r.seq),
            title: `${str(r.action)} · ${str(r.subjectType)}`,
            detail: `#${String(r.seq)} by ${str(r.actorLabel)}`,
            snippet: snippetParts(r.snippet),
            href: `/audit?${new URLSearchParams({
              action: str(r.action),
              subjectType: str(r.subjectType),
              subjectId: str(r.subjectId),
            }).toString()}`,
            at: date(r.at),
            rank: Number(r.rank),
          }),
        },
};

/** ts_headline's text, split at its markers into plain and matched parts. */
export function snippetParts(value: unknown): SnippetPart[] {
  if (typeof value !== "string" || value === "") return [];
  const parts: SnippetPart[] = [];
  for (const [i, chunk] of value.split(START).entries()) {
    if (i === 0) {
      if (chunk) parts.push({ text: chunk.replaceAll(STOP, ""), hit: false });
      continue;
    }
    const end = chunk.indexOf(STOP);
    const hit = end === -1 ? chunk : chunk.slice(0, end);
    const rest = end === -1 ? "" : chunk.slice(end + 1).replaceAll(STOP, "");
    if (hit) parts.push({ text: hit, hit: true });
    if (rest) parts.push({ text: rest, hit: false });
  }
  return parts;
}

const str = (v: unknown) => (v === null || v === undefined ? "" : String(v));
const date = (v: unknown) => (v instanceof Date ? v : v ? new Date(String(v)) : null);
