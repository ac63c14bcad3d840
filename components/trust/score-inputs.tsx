"use client";

import type { RouterOutputs } from "@/lib/trpc/types";

type TrustEntry = RouterOutputs["trust"]["list"]["items"][number];

/** The inputs of a score, in the order the formula reads them, with their words. */
const INPUTS: Array<{ key: keyof TrustEntry["inputs"]; label: string }> = [
  { key: "successes", label: "successes" },
  { key: "failures", label: "failures" },
  { key: "slaMisses", label: "SLA misses" },
  { key: "retries", label: "retries" },
  { key: "deadLetters", label: "dead letters" },
  { key: "breakerTrips", label: "breaker trips" },
  { key: "policyViolations", label: "policy violations" },
  { key: "findings", label: "reconciliation findings" },
  { key: "anomalies", label: "anomalies" },
  { key: "guardianGroups", label: "guardian groups" },
  { key: "regressions", label: "fixes failing again" },
];

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));

/** The inputs in one line each (a row's hover), then how they combine. */
export function inputsSummary(e: TrustEntry): string {
  const lines = INPUTS.map((i) => `${i.label}: ${fmt(e.inputs[i.key])}`);
  if (e.findingsPenalty > 0) lines.push(`findings add ${fmt(e.findingsPenalty)} pseudo-failures`);
  return `Inputs (decayed)\n${lines.join("\n")}\n\n${e.why}`;
}

/**
 * The inputs of one score as a list, and the findings that lower it (an anomaly stops
 * counting once someone marks it expected on this page).
 */
export function ScoreInputs({ entry }: { entry: TrustEntry }) {
  return (
    <div className="space-y-2">
      <dl
        aria-label="Inputs of the score"
        className="grid grid-cols-2 gap-x-4 gap-y-0.5 text-xs sm:grid-cols-4"
      >
        {INPUTS.map((i) => (
          <div key={i.key} className="flex justify-between gap-2">
            <dt className="text-zinc-600">{i.label}</dt>
            <dd className="tabular-nums text-zinc-900">{fmt(entry.inputs[i.key])}</dd>
          </div>
        ))}
      </dl>
      {entry.findings.length > 0 && (
        <div className="text-xs">
          <p className="font-medium text-zinc-900">
            {entry.enoughData
              ? `Findings lowering it (+${fmt(entry.findingsPenalty)} pseudo-failures)`
              : `Findings (+${fmt(entry.findingsPenalty)} pseudo-failures once it has enough data)`}
          </p>
          <ul className="mt-0.5 list-disc pl-5 text-zinc-700">
            {entry.findings.map((f) => (
              <li key={`${f.source}:${f.id}`}>
                {f.what}
                {f.weight < 1 && ` (weight ${f.weight.toFixed(2)}, fading)`}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
