/**
 * Kinds of runs, told apart by the run's `version`:
 *
 * - a **version run** executes a saved workflow version (`version` is its SemVer, `1.4.0`);
 * - a **draft run** executes a draft: the studio's text on screen, or a workflow's stored draft
 *   (`version` is {@link DRAFT_VERSION}). Runs recorded before draft runs were marked, and runs
 *   created by engine paths that do not name a version (triggers and sub-flows of a workflow
 *   with no saved version, tests), have `version` null: they are draft runs too.
 *
 * Draft runs are experiments: they stay out of trust scores and replays. Anything that learns
 * from or re-executes past runs filters them out with {@link isDraftRun} (in memory) or
 * {@link COUNTED_RUNS_WHERE} (in a database query).
 */

/** The `version` of a draft run. Saved versions are SemVer, so it never names a real version. */
export const DRAFT_VERSION = "draft";

/** True for a draft run: one that executed a draft, not a saved workflow version. */
export function isDraftRun(run: { version: string | null }): boolean {
  return run.version === null || run.version === DRAFT_VERSION;
}

/**
 * The Prisma `where` fragment of runs that count (version runs): what trust scores and replays
 * read. Combine it with the query's own conditions: `{ AND: [COUNTED_RUNS_WHERE, { ... }] }`.
 */
export const COUNTED_RUNS_WHERE: {
  AND: [{ version: { not: null } }, { version: { not: string } }];
} = { AND: [{ version: { not: null } }, { version: { not: DRAFT_VERSION } }] };
