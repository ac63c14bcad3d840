/**
 * Root-cause hints of a group (issue 18, item 2): what changed between the failing version and
 * the last version that succeeded (`diffFlows`), the first failing run, and the blocks and models
 * involved with their earned trust. Read when a group is opened; each part is one bounded query.
 */
import { diffFlows } from "@/dsl";
import type { Db } from "../types";
import { listTrust } from "../trust/list-trust";

export interface RootCauseHints {
  /** The last version with a successful run before the failing one, and what changed since. */
  versionDiff: {
    failing: string | null;
    lastGood: string | null;
    changes: Array<{ kind: string; path: string; reason: string }>;
  };
  firstFailure: { runId: string; at: string; version: string | null };
  involved: Array<{
    kind: "block" | "model" | "flow";
    key: string;
    score: number | null;
    n: number | null;
    enoughData: boolean;
  }>;
  /** Hints in words, for the page. */
  summary: string[];
}

const MAX_CHANGES = 30;

interface GroupForHints {
  workspaceId: string;
  workflowId: string | null;
  stepId: string;
  blockId: string;
  failingVersion: string | null;
  firstRunId: string;
  firstSeenAt: Date;
  lastRunId: string;
}

async function versionDiff(db: Db, g: GroupForHints): Promise<RootCauseHints["versionDiff"]> {
  const empty = { failing: g.failingVersion, lastGood: null, changes: [] };
  if (!g.workflowId || !g.failingVersion) return empty;
  const good = await db.run.findFirst({
    where: {
      workflowId: g.workflowId,
      workspaceId: g.workspaceId,
      status: "succeeded",
      sandboxSessionId: null,
      version: { not: g.failingVersion },
      createdAt: { lt: g.firstSeenAt },
    },
    orderBy: { createdAt: "desc" },
    select: { version: true },
  });
  if (!good?.version) return empty;
  const texts = await db.workflowVersion.findMany({
    where: { workflowId: g.workflowId, version: { in: [good.version, g.failingVersion] } },
    select: { version: true, dsl: true },
  });
  const a = texts.find((t) => t.version === good.version)?.dsl;
  const b = texts.find((t) => t.version === g.failingVersion)?.dsl;
  if (a === undefined || b === undefined) return { ...empty, lastGood: good.version };
  return {
    failing: g.failingVersion,
    lastGood: good.version,
    changes: diffFlows(a, b)
      .changes.slice(0, MAX_CHANGES)
      .map((c) => ({ kind: c.kind, path: c.path, reason: c.reason })),
  };
}

/**
 * The hints of a group.
 *
 * @example
 * const h = await rootCauseHints(db, group); // h.summary: ["Failing since 1.3.0; 1.2.0 last succeeded: ..."]
 */
export async function rootCauseHints(db: Db, g: GroupForHints): Promise<RootCauseHints> {
  const now = Date.now();
  const [diff, models, blocks, flows] = await Promise.all([
    versionDiff(db, g),
    db.agentUsage.findMany({
      where: {
        workspaceId: g.workspaceId,
        runId: { in: [g.firstRunId, g.lastRunId] },
        stepId: g.stepId,
      },
      select: { model: true },
      distinct: ["model"],
      take: 10,
    }),
    listTrust(db, g.workspaceId, "block", now),
    g.workflowId ? listTrust(db, g.workspaceId, "flow", now) : Promise.resolve([]),
  ]);
  const modelTrust = models.length ? await listTrust(db, g.workspaceId, "model", now) : [];
  const base = g.blockId.split("@")[0]!;
  const involved: RootCauseHints["involved"] = [];
  const block = blocks.find((b) => b.key.split("@")[0] === base);
  involved.push({
    kind: "block",
    key: block?.key ?? g.blockId,
    score: block?.score ?? null,
    n: block ? Math.round(block.n) : null,
    enoughData: block?.enoughData ?? false,
  });
  for (const m of models) {
    const t = modelTrust.find((x) => x.key === m.model);
    involved.push({
      kind: "model",
      key: m.model,
      score: t?.score ?? null,
      n: t ? Math.round(t.n) : null,
      enoughData: t?.enoughData ?? false,
    });
  }
  const flow = flows.find((f) => f.key === `${g.workflowId}@${g.failingVersion}`);
  if (flow)
    involved.push({
      kind: "flow",
      key: flow.key,
      score: flow.score,
      n: Math.round(flow.n),
      enoughData: flow.enoughData,
    });

  const summary: string[] = [];
  if (diff.lastGood)
    summary.push(
      diff.changes.length
        ? `Version ${diff.failing} fails; ${diff.lastGood} last succeeded. Changed since: ${diff.changes
            .slice(0, 5)
            .map((c) => c.reason)
            .join("; ")}.`
        : `Version ${diff.failing} fails; ${diff.lastGood} last succeeded, with the same steps: the cause is likely outside the flow.`,
    );
  else summary.push("No earlier version of this flow succeeded: nothing to compare with.");
  summary.push(`First failure: run ${g.firstRunId.slice(0, 8)} at ${g.firstSeenAt.toISOString()}.`);
  for (const i of involved)
    summary.push(
      i.score === null
        ? `${i.kind} ${i.key}: no earned trust yet.`
        : `${i.kind} ${i.key}: trust ${i.score.toFixed(2)}${i.enoughData ? "" : " (not enough data)"}, n=${i.n}.`,
    );
  return {
    versionDiff: diff,
    firstFailure: {
      runId: g.firstRunId,
      at: g.firstSeenAt.toISOString(),
      version: g.failingVersion,
    },
    involved,
    summary,
  };
}
