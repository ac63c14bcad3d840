"use client";

import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import type { RouterOutputs } from "@/lib/trpc/types";

export type ProposalReviewView = RouterOutputs["guardianReview"]["reviews"][number];
type Proof = NonNullable<ProposalReviewView["proof"]>;
type ProofRun = Proof["runs"][number];

const OUTCOME: Record<
  ProofRun["outcome"],
  { label: string; tone: "success" | "danger" | "warning" }
> = {
  fixed: { label: "fixed", tone: "success" },
  "not-fixed": { label: "still fails", tone: "danger" },
  refused: { label: "refused at the start by the stricter input schema", tone: "success" },
  passed: { label: "still succeeds", tone: "success" },
  regressed: { label: "regressed", tone: "danger" },
  error: { label: "could not run", tone: "warning" },
};

const SOURCE: Record<ProofRun["steps"][number]["source"], string> = {
  recording: "recorded answers",
  mock: "the session's mock",
  "recorded-model": "recorded model answers",
  "demo-model": "the demo model",
  computed: "computed",
};

function stepSource(s: ProofRun["steps"][number]): string {
  if (s.recorded && s.mocked)
    return `${s.recorded} attempt${s.recorded === 1 ? "" : "s"} on recorded answers, then ${s.mocked} on the session's mock`;
  return SOURCE[s.source];
}

/**
 * A proposal's sandbox proof: the verdict (fixed n of m, regressions), then each run: which
 * recorded run it replayed, its outcome, the failing step's result against its contract, and per
 * step whether it ran against recorded answers or the session's mock.
 */
export function ProposalEvidence({ proof }: { proof: Proof }) {
  const failing = proof.runs.filter((r) => r.kind === "failing");
  const regression = proof.runs.filter((r) => r.kind === "regression");
  return (
    <section aria-label="Sandbox proof" className="space-y-2 text-sm" data-testid="proposal-proof">
      <p className="text-zinc-800">
        <Badge
          tone={
            proof.status === "passed" ? "success" : proof.status === "failed" ? "danger" : "warning"
          }
        >
          {proof.status === "passed"
            ? "Proof passed"
            : proof.status === "failed"
              ? "Proof failed"
              : "Proof could not run"}
        </Badge>{" "}
        <span data-testid="proof-summary">
          {proof.fixed} of {proof.of} recorded failure{proof.of === 1 ? "" : "s"} fixed ·{" "}
          {proof.regressions} regression{proof.regressions === 1 ? "" : "s"} in {proof.regressionOf}{" "}
          successful run{proof.regressionOf === 1 ? "" : "s"}
        </span>
      </p>
      <p className="text-xs text-zinc-600">
        Passes with {proof.passRule}. Each run replayed in its own sandbox session: nothing left the
        process. Proved by {proof.by}, {new Date(proof.finishedAt).toLocaleString()}.
        {proof.note ? ` ${proof.note}` : ""}
      </p>
      {[
        { title: "Recorded failing inputs", runs: failing },
        { title: "Regression set: recent successful runs", runs: regression },
      ].map(
        (part) =>
          part.runs.length > 0 && (
            <details key={part.title} open={part.runs === failing}>
              <summary className="cursor-pointer text-xs font-semibold text-zinc-700">
                {part.title} ({part.runs.length})
              </summary>
              <ul className="mt-1 space-y-2">
                {part.runs.map((r) => (
                  <li
                    key={`${r.kind}:${r.sourceRunId}`}
                    className="rounded border border-zinc-100 p-2 text-xs"
                  >
                    <div className="flex flex-wrap items-center gap-2">
                      <Badge tone={OUTCOME[r.outcome].tone}>{OUTCOME[r.outcome].label}</Badge>
                      <span>
                        Run{" "}
                        <Link
                          className="font-mono text-accent-700 hover:underline"
                          href={`/runs/${r.sourceRunId}`}
                        >
                          {r.sourceRunId.slice(0, 8)}
                        </Link>{" "}
                        replayed as{" "}
                        {r.proofRunId ? (
                          <Link
                            className="font-mono text-accent-700 hover:underline"
                            href={`/runs/${r.proofRunId}`}
                          >
                            {r.proofRunId.slice(0, 8)}
                          </Link>
                        ) : (
                          "no run"
                        )}
                        {r.runStatus ? ` (${r.runStatus})` : ""}
                      </span>
                    </div>
                    {r.failingStep && (
                      <p className="mt-1 text-zinc-700">
                        Step <span className="font-mono">{r.failingStep.stepId}</span>:{" "}
                        {r.failingStep.status}
                        {r.failingStep.contract === "valid" && ", output matches its contract"}
                        {r.failingStep.contract === "invalid" &&
                          ", output does not match its contract"}
                        {r.failingStep.contract === "none" &&
                          " (its block declares no output contract)"}
                        {r.failingStep.error ? ` — ${r.failingStep.error}` : ""}
                      </p>
                    )}
                    {r.note && <p className="mt-1 text-zinc-700">{r.note}</p>}
                    {r.steps.length > 0 && (
                      <ul aria-label="Steps and what answered them" className="mt-1 text-zinc-600">
                        {r.steps.map((s) => (
                          <li key={s.stepId}>
                            <span className="font-mono">{s.stepId}</span> {s.status} ·{" "}
                            {stepSource(s)}
                          </li>
                        ))}
                      </ul>
                    )}
                  </li>
                ))}
              </ul>
            </details>
          ),
      )}
    </section>
  );
}
