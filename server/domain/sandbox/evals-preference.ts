/**
 * The route an evaluation recommends for an agent block: what the model router reads (through
 * the agent module's `AgentRoutePreference` port, `server/domain/agent/ports.ts`) to put the
 * best-evaluated model first for that block, when the step names no route or preference itself.
 *
 * Only suites that opted in (`steersRouter`, not archived) of one agent block count. Per model
 * route, the metrics of the newest completed eval run that measured it are taken; the winner is
 * {@link bestRoute}'s (highest pass^n, then pass@1, then cheapest, then fastest). Answers are
 * cached per workspace and block for {@link PREFERENCE_TTL_MS}.
 */
import type { AgentRoutePreference } from "../agent/ports";
import type { Db } from "../types";
import { bestRoute, type EvalMetrics, type EvalSummary } from "./evals-metrics";

/** How long a looked-up preference is reused. */
export const PREFERENCE_TTL_MS = 30_000;
/** Cached (workspace, block) answers at most. */
const MAX_CACHED = 1_000;
/** Completed eval runs read per lookup. */
const RUNS_READ = 20;

export interface RoutePreference {
  /** The configured model's name to prefer. */
  model: string;
  suiteId: string;
  evalRunId: string;
  passHatN: number;
  passAt1: number;
}

const cache = new Map<string, { at: number; value: RoutePreference | null }>();

/** Forgets cached preferences (a new eval run ended; tests). */
export function clearRoutePreferences(workspaceId?: string): void {
  if (!workspaceId) return cache.clear();
  for (const key of cache.keys()) if (key.startsWith(`${workspaceId}\u0000`)) cache.delete(key);
}

/** The route the workspace's steering suites recommend for `blockId`, or null. */
export async function preferredRoute(
  db: Db,
  workspaceId: string,
  blockId: string,
  now = Date.now(),
): Promise<RoutePreference | null> {
  const key = `${workspaceId}\u0000${blockId}`;
  const hit = cache.get(key);
  if (hit && now - hit.at < PREFERENCE_TTL_MS) return hit.value;
  const suites = await db.evalSuite.findMany({
    where: {
      workspaceId,
      steersRouter: true,
      archivedAt: null,
      target: { path: ["block"], equals: blockId },
    },
    select: { id: true },
    take: 50,
  });
  let value: RoutePreference | null = null;
  if (suites.length) {
    const runs = await db.evalRun.findMany({
      where: { suiteId: { in: suites.map((s) => s.id) }, status: "completed" },
      orderBy: { finishedAt: "desc" },
      select: { id: true, suiteId: true, summary: true },
      take: RUNS_READ,
    });
    const merged: Record<string, EvalMetrics> = {};
    const from = new Map<string, { suiteId: string; evalRunId: string }>();
    for (const r of runs) {
      const byRoute = (r.summary as EvalSummary | null)?.byRoute ?? {};
      for (const [route, m] of Object.entries(byRoute)) {
        // A run answered by several models ("a+b") says nothing about one of them.
        if (route in merged || route.includes("+")) continue;
        merged[route] = m;
        from.set(route, { suiteId: r.suiteId, evalRunId: r.id });
      }
    }
    const best = bestRoute(merged);
    if (best) {
      value = {
        model: best.route,
        ...from.get(best.route)!,
        passHatN: best.metrics.passHatN,
        passAt1: best.metrics.passAt1,
      };
    }
  }
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(key, { at: now, value });
  return value;
}

/** The agent module's port on the workspace's steering suites (wired into the agent runtime). */
export function evalRoutePreference(db: Db): AgentRoutePreference {
  return {
    async preferredModel({ workspaceId, blockId }) {
      const p = await preferredRoute(db, workspaceId, blockId);
      return p
        ? {
            model: p.model,
            detail: `eval run ${p.evalRunId} of suite ${p.suiteId}: pass^n ${p.passHatN}, pass@1 ${p.passAt1}`,
          }
        : null;
    },
  };
}
