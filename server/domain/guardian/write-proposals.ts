/**
 * Writes the rule-based proposals of groups (issue 18, item 3) against the flow version that
 * failed: each proposal is bound to that version's IR hash (`baseIrHash`), so a group that keeps
 * failing on the same version gets its proposals once, and a newer failing version gets its own.
 */
import { randomUUID } from "node:crypto";
import type { Db } from "../types";
import { compileFlow } from "../workflow/compile-flow";
import type { FailureRecord } from "./fingerprint";
import type { InputSamples } from "./input-schema-rule";
import { proposeFixes, type ProposalRule } from "./proposals";
import { PATCHABLE, type Triage, type TriageClass } from "./triage";

/**
 * Proposals for the patchable groups of `groupIds` that have none for their failing version
 * yet; the number written.
 *
 * @example
 * await writeProposals(db, ["5b0c…"]); // 1
 */
export async function writeProposals(
  db: Db,
  groupIds: readonly string[],
  opts: {
    /** The router's models capable of an agent block's task (the fallback model rule). */
    fallbackModels?: (blockId: string) => string[];
    /** Only these rules (the others were written already, without what these need). */
    only?: readonly ProposalRule[];
  } = {},
): Promise<number> {
  if (!groupIds.length) return 0;
  const groups = await db.guardianGroup.findMany({
    where: {
      id: { in: [...groupIds] },
      class: { in: [...PATCHABLE] },
      workflowId: { not: null },
      failingVersion: { not: null },
      status: "open",
    },
  });
  let written = 0;
  for (const g of groups) {
    const existing = await db.guardianProposal.count({
      where: {
        groupId: g.id,
        baseIrHash: g.failingIrHash,
        ...(opts.only ? { rule: { in: [...opts.only] } } : {}),
      },
    });
    if (existing) continue;
    const version = await db.workflowVersion.findUnique({
      where: { workflowId_version: { workflowId: g.workflowId!, version: g.failingVersion! } },
      select: { dsl: true, version: true },
    });
    if (!version) continue;
    const newest = await db.guardianMember.findMany({
      where: { groupId: g.id },
      orderBy: { seenAt: "desc" },
      take: 20,
      select: { record: true, runId: true },
    });
    const records = newest.map((m) => m.record as unknown as FailureRecord);
    const sample = records.find((r) => r.upstream) ?? records[0];
    if (!sample) continue;
    const t = g.triage as unknown as Triage;
    if (!PATCHABLE.has(t.class as TriageClass)) continue;
    const inputs =
      t.class === "mapping"
        ? await inputSamples(db, g.workflowId!, [...new Set(newest.map((m) => m.runId))])
        : undefined;
    const drafts = proposeFixes(t, sample, {
      text: version.dsl,
      version: version.version,
      compile: (text) => compileFlow(text),
      ...(inputs ? { inputs } : {}),
      ...(opts.fallbackModels ? { fallbackModels: opts.fallbackModels } : {}),
    }).filter((d) => !opts.only || (opts.only as readonly string[]).includes(d.rule));
    if (!drafts.length) continue;
    const r = await db.guardianProposal.createMany({
      data: drafts.map((d) => ({
        id: randomUUID(),
        workspaceId: g.workspaceId,
        groupId: g.id,
        workflowId: g.workflowId!,
        baseVersion: version.version,
        baseIrHash: g.failingIrHash,
        rule: d.rule,
        title: d.title,
        rationale: d.rationale,
        text: d.text,
        bump: d.bump,
        nextVersion: d.nextVersion,
        changes: d.changes,
      })),
      skipDuplicates: true,
    });
    written += r.count;
  }
  return written;
}

/** Inputs of the group's failing runs and of the flow's 20 newest successful runs (bounded). */
async function inputSamples(
  db: Db,
  workflowId: string,
  failingRunIds: string[],
): Promise<InputSamples> {
  const obj = (v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  const [failing, succeeded] = await Promise.all([
    db.run.findMany({
      where: { id: { in: failingRunIds.slice(0, 20) } },
      select: { inputs: true },
    }),
    db.run.findMany({
      where: { workflowId, status: "succeeded", sandboxSessionId: null },
      orderBy: { createdAt: "desc" },
      select: { inputs: true },
      take: 20,
    }),
  ]);
  return {
    failing: failing.map((r) => obj(r.inputs)),
    succeeded: succeeded.map((r) => obj(r.inputs)),
  };
}
