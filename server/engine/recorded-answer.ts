/**
 * Recorded answers (issue 16, item 9): each attempt of a connector or model (agent) step keeps
 * the answer it got, so a failed run can be copied into a sandbox session and re-run against
 * the same answers. The engine builds the answer from the attempt's outcome (`ok` with the
 * output, or the error) plus what the runtime reported through {@link AnswerRecorder} (an
 * agent's model calls: prompt hash, model, content, usage), redacts credentials inside URLs
 * (secret values are redacted with the rest of the checkpoint) and hands it to the store with
 * the attempt's finish: one write. Stores cap it with {@link capAnswer}.
 */
import type { BlockRef } from "@/dsl";
import type { ErrorInfo } from "./errors";
import { redactSecrets } from "./redact";
import type { RecordedAnswerData } from "./types";

/** A recorded answer's JSON text is kept up to this many bytes (UTF-8); longer is truncated. */
export const MAX_ANSWER_BYTES = 256 * 1024;
/** Parts a runtime may report per attempt (model calls); later ones are counted, not kept. */
export const MAX_ANSWER_PARTS = 50;

/** What a runtime reports about the answers it got (one per remote call). */
export interface AnswerRecorder {
  add(part: Record<string, unknown>): void;
}

/** Whether an attempt of `block` records its answer, and as what. */
export function recordedAnswerKind(
  block: Pick<BlockRef, "kind">,
): RecordedAnswerData["kind"] | null {
  if (block.kind === "connector") return "connector";
  if (block.kind === "agent") return "model";
  return null;
}

/** Collects the parts of one attempt (bounded). */
export function answerCollector(): AnswerRecorder & {
  parts: Record<string, unknown>[];
  dropped: number;
} {
  const c = {
    parts: [] as Record<string, unknown>[],
    dropped: 0,
    add(part: Record<string, unknown>) {
      if (c.parts.length < MAX_ANSWER_PARTS) c.parts.push(part);
      else c.dropped++;
    },
  };
  return c;
}

/** The answer of a finished attempt: its outcome and the parts its runtime reported. */
export function buildAnswer(
  kind: RecordedAnswerData["kind"],
  outcome: { ok: true; output: unknown } | { ok: false; error: ErrorInfo },
  collected?: { parts: Record<string, unknown>[]; dropped: number },
): RecordedAnswerData {
  const body: Record<string, unknown> = outcome.ok
    ? { ok: true, output: outcome.output ?? null }
    : { ok: false, error: outcome.error };
  // `{ usage }` (an agent's totals) is the answer's usage; every other part is one call.
  const calls = collected?.parts.filter((p) => !("usage" in p && Object.keys(p).length === 1));
  const usage = collected?.parts.findLast((p) => "usage" in p && Object.keys(p).length === 1);
  if (calls?.length) body.calls = calls;
  if (usage) body.usage = usage.usage;
  if (collected?.dropped) body.callsDropped = collected.dropped;
  // Credentials inside URLs and secret-named query parameters, as in every stored error text.
  return { kind, body: redactSecrets(body) };
}

/** What a store writes: the answer (or its truncated text), its size and whether it was cut. */
export interface CappedAnswer {
  answer: unknown;
  bytes: number;
  truncated: boolean;
}

/**
 * Caps an answer at {@link MAX_ANSWER_BYTES} of JSON text. A bigger one is stored as
 * `{ truncated: true, bytes, text }`: the first bytes of its JSON text (cut on a character
 * boundary), which no replay uses as an answer.
 */
export function capAnswer(body: unknown, max = MAX_ANSWER_BYTES): CappedAnswer {
  const text = JSON.stringify(body ?? null);
  const bytes = utf8Length(text);
  if (bytes <= max) return { answer: body ?? null, bytes, truncated: false };
  // Cut on a character boundary: a partial sequence at the end decodes to U+FFFD, dropped.
  let cut = new TextDecoder().decode(new TextEncoder().encode(text).subarray(0, max));
  if (cut.endsWith("\uFFFD")) cut = cut.slice(0, -1);
  return {
    answer: { truncated: true, bytes, text: cut },
    bytes,
    truncated: true,
  };
}

/** UTF-8 byte length of `s` without encoding it (lone surrogates count as 3, as encoders write U+FFFD). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}
