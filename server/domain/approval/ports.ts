/**
 * The approval use cases' ports. {@link ApprovalEffects} is what happens when an approval is
 * decided, per kind: a run's human step or form is resumed (`effects.ts`, `stepApprovalEffect`),
 * an approved replay starts its run (`server/domain/replay/`), a reprocess job starts. The
 * composition root (`server/wiring/services.ts`) hands them in.
 */
import type { RunDeps, TxScope } from "../run/ports";
import type { ApprovalRecord } from "./types";

/** The final outcome of an approval, as its effect receives it. */
export interface ApprovalOutcome {
  decision: "approved" | "rejected" | "submitted";
  /** Every decider's label, in the order they decided (the quorum). */
  by: string[];
  /** The deciding comment (a rejection's reason; the last approval's comment). */
  comment: string | null;
  /** A form's submitted values. */
  values: Record<string, unknown> | null;
  /** Epoch milliseconds. */
  at: number;
  /** Decided by an admin's break-glass. */
  breakGlass: boolean;
}

/**
 * An effect runs in the transaction that records the final decision; what must wait for the
 * commit (waking a worker) it returns as `afterCommit`.
 */
export type ApprovalEffect = (
  tx: TxScope,
  approval: ApprovalRecord,
  outcome: ApprovalOutcome,
) => Promise<void | { afterCommit?: () => void }>;

/** The effect of each kind of approval. */
export interface ApprovalEffects {
  /** Step and form approvals: the decision reaches the parked step. */
  step: ApprovalEffect;
  /** Replays (issue 15, replay): the approved plan starts its run. */
  replay?: ApprovalEffect;
  /** Reprocess jobs of dead letters. */
  reprocess?: ApprovalEffect;
  /** Guardian fixes (issue 18): an approved fix is released as a new flow version. */
  fix?: ApprovalEffect;
}

/** What the approval use cases need. */
export interface ApprovalDeps extends RunDeps {
  approvalEffects: ApprovalEffects;
}
