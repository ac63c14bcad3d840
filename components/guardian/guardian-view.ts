/**
 * What the Guardian page shows, pure: the words and tones of the triage classes and proposal
 * statuses, and how a group's fingerprint reads. The server decides everything again.
 */
import type { RouterOutputs } from "@/lib/trpc/types";

export type GroupView = RouterOutputs["guardian"]["groups"]["items"][number];
export type GroupDetail = RouterOutputs["guardian"]["group"];
export type ProposalView = RouterOutputs["guardian"]["proposals"][number];
export type TriageClass = GroupView["class"];

export const CLASS_OPTIONS = [
  { value: "all", label: "All" },
  { value: "resilience", label: "Resilience" },
  { value: "drift", label: "Drift" },
  { value: "mapping", label: "Mapping" },
  { value: "transient", label: "Transient" },
  { value: "external", label: "External" },
  { value: "policy", label: "Policy" },
] as const;
export type ClassFilter = (typeof CLASS_OPTIONS)[number]["value"];

type Tone = "neutral" | "accent" | "success" | "warning" | "danger";

/** A class's name and badge tone: patchable classes in accent, the others by who must act. */
export const CLASS_WORDS: Record<TriageClass, { label: string; tone: Tone; fix: string }> = {
  resilience: { label: "Resilience", tone: "accent", fix: "patch: retry, back-off or timeout" },
  drift: { label: "Data drift", tone: "accent", fix: "patch: the mapping" },
  mapping: { label: "Mapping", tone: "accent", fix: "patch: the mapping" },
  transient: { label: "Transient", tone: "neutral", fix: "replay the failed runs" },
  external: { label: "External", tone: "warning", fix: "the connection's owner acts" },
  policy: { label: "Policy", tone: "danger", fix: "no patch: a rule refused it" },
};

/** A group's fingerprint in one line: step, block or operation, error and status. */
export function fingerprintLine(
  g: Pick<GroupView, "stepId" | "operation" | "errorName" | "errorCode" | "httpStatus">,
): string {
  const status = g.httpStatus !== null ? ` · HTTP ${g.httpStatus}` : "";
  const code = g.errorCode ? ` (${g.errorCode})` : "";
  return `${g.stepId} · ${g.operation} · ${g.errorName}${code}${status}`;
}

/** A proposal's status in words. */
export function proposalStatus(p: Pick<ProposalView, "status" | "current">): {
  label: string;
  tone: Tone;
} {
  if (!p.current && p.status === "proposed")
    return { label: "Void: a newer version exists", tone: "neutral" };
  switch (p.status) {
    case "proposed":
      return { label: "Proposed, not proven yet", tone: "warning" };
    case "proven":
      return { label: "Proven in the sandbox", tone: "success" };
    case "approved":
    case "released":
      return { label: p.status === "approved" ? "Approved" : "Released", tone: "success" };
    case "rejected":
      return { label: "Rejected", tone: "danger" };
    default:
      return { label: p.status.charAt(0).toUpperCase() + p.status.slice(1), tone: "neutral" };
  }
}

/** What accepting a fix with replays asks for (`guardianReview.forApproval`'s `replay`). */
export interface ReplayCounts {
  /** Failed runs replayed one by one (their failure left no open dead letter). */
  runs: number;
  /** Open dead letters reprocessed as one job, and their runs. */
  deadLetters: number;
  deadLetterRuns: number;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

/**
 * The words of the replay choice a fix's acceptance offers, the same in the Approvals inbox and
 * on the Guardian page: "Also replay the 3 failed runs from their failing step on version 1.0.1
 * (2 dead letters reprocessed as one job); each is approved by another person".
 */
export function replayChoiceText(c: ReplayCounts | null | undefined, version: string): string {
  const tail = "; each is approved by another person";
  if (!c) return `Also replay the failed runs from their failing step on version ${version}${tail}`;
  const total = c.runs + c.deadLetterRuns;
  if (total === 0)
    return `Also replay the failed runs on version ${version} (none is waiting for one now)`;
  const dl = c.deadLetters
    ? ` (${plural(c.deadLetters, "dead letter")} of ${c.deadLetterRuns === total ? "them" : plural(c.deadLetterRuns, "run")} reprocessed as one job)`
    : "";
  return `Also replay the ${plural(total, "failed run")} from ${total === 1 ? "its" : "their"} failing step on version ${version}${dl}${tail}`;
}
