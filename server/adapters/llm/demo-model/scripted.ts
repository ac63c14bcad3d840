/**
 * The demo model's second mode (issue 16): **scripted**. A request whose `model` is
 * `scripted/<scriptId>` (or `scripted/<scriptId>/<model>`, to answer only from answers recorded
 * for that model) is answered from the script (`server/domain/sandbox/scripted-schemas.ts`):
 * a recorded answer by prompt hash, model and repetition, else the first rule whose literal
 * substring or RE2 pattern occurs in the prompt, else the script's fallback: the demo model's
 * own answer (`demo`) or a 422 `no_scripted_answer` (`error`).
 *
 * Repetitions are counted per counter key (the sandbox wiring passes the run's id), prompt hash
 * and model: the Nth identical call gets repetition N; past the last recorded repetition the
 * last one repeats. Counters live in a bounded map ({@link RepetitionCounter}).
 *
 * Served in-process only (`scripted-fetch.ts`), for sandbox session runs: over HTTP
 * (`/api/demo-model/v1`) a scripted model is answered 404, as no script is reachable there.
 */
import { RE2JS } from "@bufbuild/re2";
import { promptHash, type HashedMessage } from "./scripted-hash";

/** A rule: a literal substring or an RE2 pattern, and the answer it gives. */
export interface ScriptRule {
  kind: "contains" | "pattern";
  value: string;
  answer: string;
}

/** An answer recorded from a run: the Nth (`repetition`) call of a prompt to a model. */
export interface RecordedModelAnswer {
  promptHash: string;
  model: string;
  repetition: number;
  content: string;
}

/**
 * What a script serves from (the shape `server/domain/sandbox/scripted-schemas.ts` validates
 * when a script is saved).
 */
export interface ScriptContent {
  rules: readonly ScriptRule[];
  recorded: readonly RecordedModelAnswer[];
  fallback: "demo" | "error";
}

/** The `model` prefix that selects the scripted mode. */
export const SCRIPTED_MODEL_PREFIX = "scripted/";

/** Loads a script by id (null: none, or not the caller's workspace). */
export interface ScriptSource {
  load(scriptId: string): Promise<ScriptContent | null>;
}

/** What the handler needs to serve the scripted mode. */
export interface ScriptedMode {
  source: ScriptSource;
  counter: RepetitionCounter;
  /** Repetitions are counted per key (a run's id); default: one count per script. */
  counterKey?: string;
}

/** Counts identical calls per key; the oldest keys are forgotten past `max`. */
export class RepetitionCounter {
  private readonly counts = new Map<string, number>();
  constructor(private readonly max = 10_000) {}

  /** Counts one more call of `key` and returns its number (1 for the first). */
  next(key: string): number {
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.delete(key);
    if (this.counts.size >= this.max) this.counts.delete(this.counts.keys().next().value!);
    this.counts.set(key, n);
    return n;
  }

  get size(): number {
    return this.counts.size;
  }
}

/** `scripted/<id>[/<model>]` parsed, or null. */
export function parseScriptedModel(
  model: string,
): { scriptId: string; model: string | null } | null {
  if (!model.startsWith(SCRIPTED_MODEL_PREFIX)) return null;
  const rest = model.slice(SCRIPTED_MODEL_PREFIX.length);
  const slash = rest.indexOf("/");
  const scriptId = slash < 0 ? rest : rest.slice(0, slash);
  const sub = slash < 0 ? null : rest.slice(slash + 1);
  if (!/^[0-9a-f-]{36}$/i.test(scriptId)) return null;
  return { scriptId: scriptId.toLowerCase(), model: sub || null };
}

/** The answer a script gives, and where it came from. */
export type ScriptedAnswer =
  | { source: "recorded"; content: string; repetition: number; of: number }
  | { source: "rule"; content: string; rule: number }
  | { source: "fallback"; fallback: "demo" | "error" };

/** Compiled RE2 patterns (a script's rules are matched on every call). */
const compiled = new Map<string, RE2JS | null>();
const MAX_COMPILED = 512;

function compile(pattern: string): RE2JS | null {
  if (compiled.has(pattern)) return compiled.get(pattern)!;
  let re: RE2JS | null;
  try {
    re = RE2JS.compile(pattern);
  } catch {
    re = null; // refused when saved; a stored one that no longer compiles matches nothing
  }
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
  compiled.set(pattern, re);
  return re;
}

/** Whether a rule matches the prompt text (linear time: a literal search or RE2). */
export function ruleMatches(rule: ScriptRule, text: string): boolean {
  if (rule.kind === "contains") return text.includes(rule.value);
  return compile(rule.value)?.test(text) ?? false;
}

/**
 * The recorded answers of one prompt, in repetition order: those of `model` when given, else
 * those of the first model recorded for the prompt.
 */
function recordedFor(
  recorded: readonly RecordedModelAnswer[],
  hash: string,
  model: string | null,
): RecordedModelAnswer[] {
  const same = recorded.filter((r) => r.promptHash === hash);
  const pick = model ?? same[0]?.model;
  return same.filter((r) => r.model === pick).sort((a, b) => a.repetition - b.repetition);
}

/**
 * Answers one call from a script. `count` gives the call's repetition (the handler passes the
 * counter bound to the run); it is called once per call, whatever answers.
 */
export function answerFromScript(
  script: ScriptContent,
  messages: readonly HashedMessage[],
  model: string | null,
  count: (key: string) => number,
): ScriptedAnswer {
  const hash = promptHash(messages);
  const repetition = count(`${hash}\u0000${model ?? ""}`);
  const answers = recordedFor(script.recorded, hash, model);
  if (answers.length > 0) {
    // The Nth identical call gets repetition N; past the last, the last one repeats.
    const exact = answers.find((a) => a.repetition === repetition);
    const chosen = exact ?? answers.filter((a) => a.repetition <= repetition).at(-1) ?? answers[0]!;
    return {
      source: "recorded",
      content: chosen.content,
      repetition: chosen.repetition,
      of: answers.length,
    };
  }
  const text = messages.map((m) => m.text).join("\n");
  const index = script.rules.findIndex((r) => ruleMatches(r, text));
  if (index >= 0) return { source: "rule", content: script.rules[index]!.answer, rule: index };
  return { source: "fallback", fallback: script.fallback };
}
