/**
 * What the run view needs to ask for a replay, pure and tested (`replay-request.test.ts`): which
 * runs offer a replay, and the RFC 6902 patch between a run's inputs and the inputs edited as JSON
 * text (the server applies it to the recorded inputs and checks the result against the flow).
 */
import { createPatch } from "rfc6902";

export type ReplayMode = "resume" | "from-step" | "full";

/** What the dialog's inputs text gives: a patch to send, or the problem to show by the field. */
export type InputsPatch =
  { ok: true; patch: ReturnType<typeof createPatch> } | { ok: false; problem: string };

/**
 * Whether a replay is offered: a finished run of a saved version that failed, was compensated or
 * cancelled, or succeeded with dead letters (a draft run is an experiment: not replayed).
 */
export function replayableStatus(run: {
  status: string;
  draft: boolean;
  deadLetters: readonly unknown[];
}): boolean {
  if (run.draft) return false;
  if (run.status === "succeeded") return run.deadLetters.length > 0;
  return run.status === "failed" || run.status === "compensated" || run.status === "cancelled";
}

/**
 * The RFC 6902 patch from `original` to the JSON object in `text`.
 *
 * @example
 * inputsPatchOf({ a: 1 }, '{ "a": 2 }'); // { ok: true, patch: [{ op: "replace", path: "/a", value: 2 }] }
 * inputsPatchOf({ a: 1 }, "[1]"); // { ok: false, problem: "The inputs are a JSON object: …" }
 */
export function inputsPatchOf(original: unknown, text: string): InputsPatch {
  let edited: unknown;
  try {
    edited = JSON.parse(text);
  } catch (e) {
    return { ok: false, problem: `Not JSON: ${e instanceof Error ? e.message : String(e)}.` };
  }
  if (typeof edited !== "object" || edited === null || Array.isArray(edited))
    return { ok: false, problem: 'The inputs are a JSON object: { "name": value, … }.' };
  return { ok: true, patch: createPatch(original, edited) };
}
