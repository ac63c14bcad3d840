/**
 * What "Save version" may do with the draft on screen. A version is what runs, so a draft that
 * does not parse or has errors cannot become one, and no version is suggested for it: comparing
 * a text that does not parse would read as "every step removed" and suggest a major bump for
 * changes that were never made.
 */
import {
  astToJs,
  diffFlows,
  offsetToPosition,
  parseFlow,
  type Diagnostic,
  type FlowDiff,
} from "@/dsl";

export type VersionPlan =
  /** Saving is refused; `reason` says why, for the button and the dialog. */
  | { kind: "blocked"; reason: string }
  /** No version yet: the flow's declared `version:` (or 0.1.0). */
  | { kind: "first"; suggested: string }
  /** The next version after `latest`, from what changed. */
  | { kind: "next"; latest: string; suggested: string; diff: FlowDiff };

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** Why a draft cannot become a version: a sentence, and a few words for the toolbar. */
export interface VersionBlocker {
  reason: string;
  short: string;
}

/**
 * Why the draft cannot be saved as a version, or null when it can. `diagnostics` must be the
 * compiler's for exactly `draft`; `parses` says whether it parses, when the caller knows already
 * (the studio's compile does), so the text is not parsed a second time.
 */
export function versionBlocker(
  draft: string,
  diagnostics: readonly Diagnostic[],
  parses: boolean = Boolean(parseFlow(draft).ast),
): VersionBlocker | null {
  const errors = diagnostics.filter((d) => d.severity === "error");
  if (!parses) {
    const first = errors[0];
    const at = first ? offsetToPosition(draft, first.span.start).line : null;
    return {
      reason: `The YAML does not parse${at ? ` (line ${at}: ${first!.message})` : ""}: fix it to save a version.`,
      short: "The YAML does not parse",
    };
  }
  if (errors.length > 0) {
    const first = errors[0]!;
    return {
      reason: `The draft has ${plural(errors.length, "error")} (first: ${first.code} ${first.message}): fix ${errors.length === 1 ? "it" : "them"} to save a version.`,
      short: `Fix ${plural(errors.length, "error")} first`,
    };
  }
  return null;
}

/** The flow's declared `version:` when it is a string or number. */
function declaredVersion(text: string): string | undefined {
  const { ast } = parseFlow(text);
  const doc = ast ? astToJs(ast) : undefined;
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) return undefined;
  const v = (doc as Record<string, unknown>).version;
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
}

/**
 * The plan for saving `draft` after `latest` (null: no version yet). Nothing is diffed unless the
 * draft compiles without errors and the latest version parses.
 */
export function planVersion(
  draft: string,
  diagnostics: readonly Diagnostic[],
  latest: { version: string; text: string } | null,
): VersionPlan {
  const blocked = versionBlocker(draft, diagnostics);
  if (blocked) return { kind: "blocked", reason: blocked.reason };
  if (!latest) return { kind: "first", suggested: declaredVersion(draft) ?? "0.1.0" };
  if (!parseFlow(latest.text).ast) {
    return {
      kind: "blocked",
      reason: `Version ${latest.version} could not be read, so no version can be suggested.`,
    };
  }
  const diff = diffFlows(latest.text, draft);
  if (diff.bump === "none") {
    return { kind: "blocked", reason: `No changes since ${latest.version}: nothing to save.` };
  }
  return { kind: "next", latest: latest.version, suggested: diff.suggested(latest.version), diff };
}
