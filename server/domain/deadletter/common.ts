/**
 * What the dead-letter use cases share: their dependencies, the replay a reprocess item runs,
 * the editors' check and the filter of dead letters as a Prisma query.
 */
import type { DeadLetterStatus } from "@/lib/enums";
import { AppError } from "../errors";
import type { RunDeps } from "../run/ports";
import type { ReplayRequest } from "../replay/replays";
import { actorMay, type Actor } from "../types";
import type { DeadLetterFilter } from "./schemas";

/** What the dead-letter use cases need. */
export type DeadLetterDeps = Pick<RunDeps, "db" | "transactor">;

/** The replay every item of a reprocess job runs: resume its run on the run's own version. */
export const RESUME: ReplayRequest = { mode: "resume", version: "run", inputsPatch: [], redo: [] };

/**
 * The replay of a job's items: {@link RESUME} on the run's own version, or on the job's
 * `version` (`latest` or a saved SemVer) when it names one: a guardian release reprocesses the
 * dead letters of its group on the fixed version.
 */
export function resumeOn(version: unknown): ReplayRequest {
  return typeof version === "string" && version !== "run" ? { ...RESUME, version } : RESUME;
}

/** The ledger's actor of what the runner does (the job's requester asked for it). */
export const RUNNER_LABEL = "system:reprocess";

/** Refuses `actor` unless an editor (or a token with the run scope) to `what`. */
export function mayChange(actor: Actor, what: string) {
  if (!actorMay(actor, "editor", "run"))
    throw new AppError("FORBIDDEN", {
      message: `Only editors (or a token with the run scope) may ${what}.`,
    });
}

/** `v` as an object (a JSON column), `{}` when it is none. */
export const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** The Prisma filter of a dead-letter filter in the actor's workspace. */
export function whereOf(workspaceId: string, f: DeadLetterFilter, status?: DeadLetterStatus) {
  return {
    workspaceId,
    ...(status ? { status } : {}),
    ...(f.block ? { blockId: f.block } : {}),
    ...(f.connector && !f.block ? { blockId: { startsWith: `${f.connector}.` } } : {}),
    ...(f.errorClass ? { error: { path: ["name"], equals: f.errorClass } } : {}),
    ...(f.workflowId ? { run: { workflowId: f.workflowId } } : {}),
    ...(f.from || f.to
      ? {
          createdAt: {
            ...(f.from ? { gte: new Date(f.from) } : {}),
            ...(f.to ? { lt: new Date(f.to) } : {}),
          },
        }
      : {}),
  };
}
