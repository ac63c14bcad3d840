/**
 * The guardian consumer (issue 18): groups the failures of finished runs as they happen, off the
 * request path, like the trust consumer (the shared cursor of `finished-runs.ts`, its own
 * tables): per batch, the runs' failed attempts are fingerprinted and assigned to the stored
 * groups (obeying the workspace's merge and split rules), the touched groups are triaged again
 * from their newest members, and rule-based proposals are written for the patchable ones
 * against the flow version that failed; a proven fix still waiting for its decision whose proof
 * misses the new failures is sent back to be proved again (`reprove.ts`). A run is read once
 * (claimed in the batch's transaction).
 */
import { randomUUID } from "node:crypto";
import {
  FOLD_BATCH,
  advanceFinishedRunsCursor,
  batchOf,
  claimFinishedRuns,
  readFinishedRuns,
  startFinishedRunsConsumer,
  type FinishedRunsConsumer,
  type FinishedRunsCursor,
} from "../finished-runs";
import type { Db, Tx } from "../types";
import {
  fingerprint,
  GROUPING_RULES_VERSION,
  type FailureRecord,
  type Fingerprint,
} from "./fingerprint";
import { assignGroup, type GroupHead, type GroupingRule } from "./grouping";
import { announceNewGroups } from "./notify-groups";
import { reproveOnGrowth } from "./reprove";
import { writeProposals } from "./write-proposals";
import { readFailures } from "./read-failures";
import { MAX_WHY, retriage } from "./retriage";

export const GUARDIAN_CURSOR: FinishedRunsCursor = {
  cursorTable: "GuardianCursor",
  cursorId: "runs",
  claimTable: "GuardianFoldedRun",
};
/** Runs read per batch (default). */
export const GUARDIAN_BATCH = FOLD_BATCH;

/** A batch's result. */
export interface GuardianBatch {
  runs: number;
  failures: number;
  groups: number;
  proposals: number;
  more: boolean;
}

/** A workspace's merge and split rules (newest 1,000). */
export async function loadRules(
  db: Pick<Db, "guardianRule">,
  workspaceId: string,
): Promise<GroupingRule[]> {
  const rows = await db.guardianRule.findMany({
    where: { workspaceId },
    orderBy: { createdAt: "desc" },
    take: 1000,
  });
  return rows.map((r) => ({ id: r.id, kind: r.kind, ...(r.spec as object) }) as GroupingRule);
}

/** A member's record as stored (its upstream outputs kept only when small). */
function storedRecord(f: FailureRecord): object {
  const json = JSON.stringify(f);
  return json.length <= 96 * 1024 ? (JSON.parse(json) as object) : { ...f, upstream: undefined };
}

type MemberInput = Extract<
  NonNullable<Parameters<Tx["guardianMember"]["createMany"]>[0]>["data"],
  readonly unknown[]
>[number];

interface Touched {
  id: string;
  isNew: boolean;
  fp: Fingerprint;
  first: FailureRecord;
  last: FailureRecord;
  n: number;
  deadLetters: number;
  why: Set<string>;
  split: boolean;
}

/** Assigns a workspace's failures to groups and writes members and groups; the touched ids. */
async function groupWorkspace(
  tx: Tx,
  workspaceId: string,
  failures: FailureRecord[],
): Promise<string[]> {
  const fps = failures.map(fingerprint);
  const rules = await loadRules(tx, workspaceId);
  const intoIds = rules.flatMap((r) => (r.kind === "merge" ? [r.intoGroupId] : []));
  const stored = await tx.guardianGroup.findMany({
    where: {
      workspaceId,
      status: "open",
      OR: [
        { strictKey: { in: [...new Set(fps.map((f) => f.strictKey))] } },
        { id: { in: intoIds } },
      ],
    },
    select: { id: true, strictKey: true, template: true, split: true },
  });
  const heads: GroupHead[] = [...stored];
  const touched = new Map<string, Touched>();
  const members: MemberInput[] = [];
  failures.forEach((f, i) => {
    const fp = fps[i]!;
    const candidates = heads.filter(
      (h) =>
        h.strictKey === fp.strictKey ||
        rules.some((r) => r.kind === "merge" && r.intoGroupId === h.id),
    );
    const a = assignGroup(fp, candidates, rules);
    let id = a.groupId;
    if (!id) {
      id = randomUUID();
      heads.push({ id, strictKey: fp.strictKey, template: fp.template, split: a.split });
    }
    const t = touched.get(id) ?? {
      id,
      isNew: !a.groupId,
      fp,
      first: f,
      last: f,
      n: 0,
      deadLetters: 0,
      why: new Set<string>(),
      split: a.split,
    };
    t.n++;
    t.last = f;
    if (f.deadLetterId) t.deadLetters++;
    for (const w of a.why) t.why.add(w);
    touched.set(id, t);
    members.push({
      groupId: id,
      workspaceId,
      runId: f.runId,
      stepId: f.stepId,
      attempt: f.attempt,
      fingerprint: fp.hash,
      template: fp.template,
      message: f.message,
      version: f.version,
      irHash: f.irHash,
      deadLetterId: f.deadLetterId,
      recovered: f.recovered,
      similarity: a.similarity,
      why: a.why,
      record: storedRecord(f),
      seenAt: new Date(f.at),
    });
  });
  const newGroups = [...touched.values()].filter((t) => t.isNew);
  if (newGroups.length) {
    await tx.guardianGroup.createMany({
      data: newGroups.map((t) => ({
        id: t.id,
        workspaceId,
        workflowId: t.first.workflowId,
        flowName: t.first.flowName,
        stepId: t.fp.stepId,
        blockId: t.fp.blockId,
        operation: t.fp.operation,
        errorName: t.fp.errorName,
        errorCode: t.fp.code,
        httpStatus: t.fp.httpStatus,
        strictKey: t.fp.strictKey,
        template: t.fp.template,
        split: t.split,
        rulesVersion: GROUPING_RULES_VERSION,
        class: "transient",
        why: [...t.why].slice(0, MAX_WHY),
        count: 0,
        firstSeenAt: new Date(t.first.at),
        lastSeenAt: new Date(t.first.at),
        firstRunId: t.first.runId,
        lastRunId: t.first.runId,
        failingVersion: t.first.version,
        failingIrHash: t.first.irHash,
      })),
    });
  }
  const inserted = await tx.guardianMember.createManyAndReturn({
    data: members,
    skipDuplicates: true,
    select: { groupId: true, deadLetterId: true },
  });
  const added = new Map<string, { n: number; dl: number }>();
  for (const m of inserted) {
    const c = added.get(m.groupId) ?? { n: 0, dl: 0 };
    c.n++;
    if (m.deadLetterId) c.dl++;
    added.set(m.groupId, c);
  }
  for (const t of touched.values()) {
    const c = added.get(t.id);
    if (!c) continue;
    await tx.guardianGroup.update({
      where: { id: t.id },
      data: {
        count: { increment: c.n },
        deadLetters: { increment: c.dl },
        lastSeenAt: new Date(t.last.at),
        lastRunId: t.last.runId,
        failingVersion: t.last.version,
        failingIrHash: t.last.irHash,
        updatedAt: new Date(),
      },
    });
    await retriage(tx, t.id, t.why);
  }
  // Each new group is announced once, triaged, with the members this batch gave it.
  await announceNewGroups(
    tx,
    workspaceId,
    newGroups.filter((t) => added.has(t.id)).map((t) => t.id),
  );
  return [...added.keys()];
}

/**
 * Groups the failures of up to `batch` finished runs past the cursor (with `late`: the window
 * behind it not read yet), then writes proposals for the patchable groups it touched.
 *
 * @example
 * await groupFailedRuns(db, { late: false }); // { runs: 40, failures: 12, groups: 3, proposals: 1, more: false }
 */
export async function groupFailedRuns(
  db: Db,
  opts: { late?: boolean; batch?: number } = {},
): Promise<GuardianBatch> {
  const batch = opts.batch ?? GUARDIAN_BATCH;
  const rows = await readFinishedRuns(db, GUARDIAN_CURSOR, { batch, late: opts.late ?? false });
  if (!rows.length) return { runs: 0, failures: 0, groups: 0, proposals: 0, more: false };
  const failures = await readFailures(db, rows);
  const touched = await db.$transaction(
    async (tx) => {
      const mine = await claimFinishedRuns(tx, GUARDIAN_CURSOR, rows);
      const byWorkspace = new Map<string, FailureRecord[]>();
      for (const f of failures) {
        if (!mine.has(f.runId)) continue;
        byWorkspace.set(f.workspaceId, [...(byWorkspace.get(f.workspaceId) ?? []), f]);
      }
      const ids: string[] = [];
      for (const [ws, fs] of byWorkspace) ids.push(...(await groupWorkspace(tx, ws, fs)));
      if (!opts.late) await advanceFinishedRunsCursor(tx, GUARDIAN_CURSOR, rows[rows.length - 1]!);
      return ids;
    },
    { timeout: 60_000 },
  );
  const proposals = await writeProposals(db, touched);
  // A proven fix whose proof misses these failures is proved again before anyone decides it.
  await reproveOnGrowth(db, touched);
  return {
    runs: rows.length,
    failures: failures.length,
    groups: touched.length,
    proposals,
    more: rows.length >= batch,
  };
}

/** Starts the guardian consumer's background loop (catch-up at once, then every few seconds). */
export function startGuardianConsumer(
  db: Db,
  logger: { error(obj: object, msg: string): void },
  opts: { batch?: number; gapMs?: number; idleMs?: number } = {},
): FinishedRunsConsumer {
  return startFinishedRunsConsumer(
    // What a batch reads of its runs is their failed attempts: they size the next batch.
    ({ late, batch }) =>
      groupFailedRuns(db, { late, ...batchOf(batch, opts.batch) }).then((r) => ({
        ...r,
        attempts: r.failures,
      })),
    logger,
    "guardian consumer",
    opts,
  );
}
