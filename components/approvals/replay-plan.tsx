import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { planCounts, showJson, type ReplayPlan } from "./approval-view";

const ACTION_LABEL = { reuse: "reused", execute: "re-executed", skip: "skipped" } as const;
const ACTION_TONE = { reuse: "neutral", execute: "warning", skip: "neutral" } as const;
const MODE_LABEL = {
  resume: "Resume from the failed step",
  "from-step": "Restart from step",
  full: "Rerun every step",
} as const;

/**
 * A replay's plan as the approver reads it before deciding: the mode and version, the inputs
 * patch, and every step with what the replay does to it (reused with its recorded output,
 * re-executed or skipped), its side effect and idempotency key, and why. Re-executed steps that
 * write are marked: approving covers them.
 */
export function ReplayPlanView({ plan, titleId }: { plan: ReplayPlan; titleId: string }) {
  const counts = planCounts(plan);
  const patch = plan.inputsPatch.length ? showJson(plan.inputsPatch) : null;
  return (
    <section aria-labelledby={titleId} className="space-y-2" data-testid="replay-plan">
      <h3 id={titleId} className="text-xs font-semibold text-zinc-800">
        Plan
      </h3>
      <p className="text-sm text-zinc-700">
        {MODE_LABEL[plan.mode]}
        {plan.fromStep && (
          <>
            {" "}
            <span className="font-mono">{plan.fromStep}</span>
          </>
        )}{" "}
        of run{" "}
        <Link href={`/runs/${plan.sourceRunId}`} className="font-mono text-accent-700 underline">
          {plan.sourceRunId.slice(0, 8)}
        </Link>{" "}
        on{" "}
        {plan.version ? (
          <>
            version <span className="font-mono">{plan.version}</span>
          </>
        ) : (
          "the draft"
        )}
        : {counts.reuse} reused, {counts.execute} re-executed, {counts.skip} skipped.{" "}
        {counts.sideEffects > 0 ? (
          <strong className="font-medium text-amber-800">
            {counts.sideEffects} re-executed step{counts.sideEffects === 1 ? "" : "s"} with side
            effects: approving covers {counts.sideEffects === 1 ? "it" : "them"}.
          </strong>
        ) : (
          "No side effect is redone."
        )}
      </p>
      {plan.warnings.length > 0 && (
        <ul className="list-disc space-y-0.5 pl-5 text-xs text-amber-900">
          {plan.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
      <div className="overflow-x-auto rounded-md border border-zinc-200">
        <table aria-label="Steps of the replay" className="w-full border-collapse text-xs">
          <thead>
            <tr className="bg-zinc-50 text-left text-zinc-600">
              <th scope="col" className="px-2 py-1.5 font-medium">
                Step
              </th>
              <th scope="col" className="px-2 py-1.5 font-medium">
                Block
              </th>
              <th scope="col" className="px-2 py-1.5 font-medium">
                Action
              </th>
              <th scope="col" className="px-2 py-1.5 font-medium">
                Side effect
              </th>
              <th scope="col" className="px-2 py-1.5 font-medium">
                Idempotency key
              </th>
              <th scope="col" className="px-2 py-1.5 font-medium">
                Why
              </th>
            </tr>
          </thead>
          <tbody>
            {plan.steps.map((s) => (
              <tr key={s.id} className="border-t border-zinc-100" data-testid={`plan-step-${s.id}`}>
                <td className="px-2 py-1.5 font-mono">{s.id}</td>
                <td className="px-2 py-1.5 font-mono">{s.block}</td>
                <td className="px-2 py-1.5">
                  <Badge tone={ACTION_TONE[s.action]}>{ACTION_LABEL[s.action]}</Badge>
                </td>
                <td className="px-2 py-1.5">
                  {s.sideEffect === "write" ? (
                    <span className="font-medium text-amber-800">
                      write{s.redoesSideEffect && ", done again"}
                    </span>
                  ) : (
                    s.sideEffect
                  )}
                </td>
                <td className="px-2 py-1.5 font-mono break-all">{s.idempotencyKey ?? "—"}</td>
                <td className="px-2 py-1.5 text-zinc-600">
                  {s.reason ??
                    (s.action === "reuse" && s.reusedFrom
                      ? `recorded output of attempt ${s.reusedFrom.attempt}`
                      : "—")}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {patch && (
        <div className="space-y-1">
          <p className="text-xs font-medium text-zinc-700">Inputs changed (RFC 6902 patch)</p>
          <pre
            tabIndex={0}
            aria-label="Inputs patch"
            className="max-h-40 overflow-auto rounded-md bg-zinc-50 p-2 font-mono text-[11px] text-zinc-800"
          >
            {patch}
          </pre>
        </div>
      )}
      <p className="text-[11px] text-zinc-500">
        Plan <span className="font-mono">{plan.hash.slice(0, 12)}</span>: any change to the version,
        the inputs or the steps voids this request.
      </p>
    </section>
  );
}
