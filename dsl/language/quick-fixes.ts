/**
 * Quick fixes for diagnostics that carry a suggestion: "did you mean `x`?" (unknown keys, inputs,
 * steps, needs, blocks, policies, groups), a block version to pin, upgrade or migrate to, and the
 * required inputs a step lacks (added with the block's example values). Each fix is a list of
 * text edits; the editor offers them as code actions on the diagnostic's range.
 */
import type { BlockRegistry } from "../registry/registry";
import type { Diagnostic, Span } from "../types";
import type { LanguageEnv } from "./context";
import { blockRefOf } from "./docs";
import { flowOutline, stepAtLine } from "./outline";
import { inlineYaml, schemaProperties } from "./schema-docs";
import { blockEnd, childKeys, lineIndex, type ItemToken } from "./yaml-structure";

export interface TextEdit {
  span: Span;
  text: string;
}

export interface QuickFix {
  title: string;
  diagnostic: Diagnostic;
  edits: TextEdit[];
  /** The fix to apply when there is one obvious choice (Monaco's "preferred" action). */
  preferred: boolean;
}

const DID_YOU_MEAN = /did you mean `([^`]+)`\?/;
const BLOCK_REF = /([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_-]*)+@(?:0|[1-9][0-9]*))/;

/** The fixes for `diagnostics` on `text` (diagnostics without one are skipped). */
export function quickFixes(
  text: string,
  diagnostics: readonly Diagnostic[],
  env: LanguageEnv,
): QuickFix[] {
  const out: QuickFix[] = [];
  for (const d of diagnostics) {
    if (d.span.end > text.length || d.span.start > d.span.end) continue;
    const fix = fixFor(text, d, env.registry);
    if (fix) out.push(fix);
  }
  return out;
}

/** Replaces the text of a span, keeping its quotes when it is a quoted scalar. */
function replaceSpan(text: string, span: Span, replacement: string): TextEdit {
  const raw = text.slice(span.start, span.end);
  const q = raw[0];
  if ((q === '"' || q === "'") && raw.length >= 2 && raw[raw.length - 1] === q)
    return { span: { start: span.start + 1, end: span.end - 1 }, text: replacement };
  return { span, text: replacement };
}

function unquoted(raw: string): string {
  return /^(["']).*\1$/.test(raw) ? raw.slice(1, -1) : raw;
}

function fixFor(text: string, d: Diagnostic, registry: BlockRegistry): QuickFix | undefined {
  const raw = unquoted(text.slice(d.span.start, d.span.end));
  const hint = d.hint ?? "";
  const mean = DID_YOU_MEAN.exec(hint)?.[1];
  if (mean !== undefined) {
    let replacement = mean;
    // An unknown block id: keep the pinned major when the suggested block has it.
    if (raw.includes("@") && !mean.includes("@")) {
      const majors = registry.majors(mean);
      const pinned = Number(raw.slice(raw.lastIndexOf("@") + 1));
      if (majors.length === 0) return undefined;
      replacement = `${mean}@${majors.includes(pinned) ? pinned : majors[0]}`;
    }
    if (replacement === raw) return undefined;
    return {
      title: `Change to \`${replacement}\``,
      diagnostic: d,
      edits: [replaceSpan(text, d.span, replacement)],
      preferred: true,
    };
  }
  if ((d.code === "TF3002" || d.code === "TF3003" || d.code === "TF3004") && raw.includes("@")) {
    const ref = BLOCK_REF.exec(hint)?.[1];
    if (!ref || ref === raw || !registry.resolve(ref).ok) return undefined;
    const verb = d.code === "TF3002" ? "Pin to" : d.code === "TF3003" ? "Upgrade to" : "Migrate to";
    return {
      title: `${verb} \`${ref}\``,
      diagnostic: d,
      edits: [replaceSpan(text, d.span, ref)],
      preferred: d.code === "TF3002",
    };
  }
  if (d.code === "TF3011") return missingInputs(text, d, registry);
  return undefined;
}

/** Adds the required inputs a step's `with:` lacks, with the block's example values. */
function missingInputs(text: string, d: Diagnostic, registry: BlockRegistry): QuickFix | undefined {
  const index = lineIndex(text);
  const outline = flowOutline(text);
  const step = stepAtLine(outline, index.lineOf(d.span.start));
  if (!step) return undefined;
  const block = blockRefOf(step, registry);
  if (!block) return undefined;
  const withKey = step.keys.find((k) => k.name === "with");
  // Only the step's own inputs (a nested object's missing field is located inside it).
  if (withKey && withKey.value !== undefined) return undefined;
  const onWith = withKey && d.span.start === withKey.nameSpan.start;
  const onUses = step.usesSpan && d.span.start === step.usesSpan.start;
  if (!onWith && !onUses) return undefined;
  const item: ItemToken = {
    kind: "item",
    col: index.indent(step.line),
    start: step.start,
    line: step.line,
  };
  const present = new Set(withKey ? childKeys(text, withKey).map((k) => k.name) : []);
  const missing = schemaProperties(block.inputSchema).filter(
    (p) => p.required && !present.has(p.name),
  );
  if (missing.length === 0) return undefined;
  const value = (name: string, type: unknown) => {
    const ex = block.example[name];
    if (ex !== undefined) return inlineYaml(ex);
    return type === "number" || type === "integer"
      ? "0"
      : type === "boolean"
        ? "false"
        : type === "array"
          ? "[]"
          : type === "object"
            ? "{}"
            : '""';
  };
  const lines = missing.map((p) => `${p.name}: ${value(p.name, p.schema.type)}`);
  let edit: TextEdit;
  if (withKey) {
    const children = childKeys(text, withKey);
    const col = children[0]?.col ?? withKey.col + 2;
    const last = blockEnd(index, withKey.line, withKey.col);
    const at = index.end(last);
    edit = {
      span: { start: at, end: at },
      text: lines.map((l) => `\n${" ".repeat(col)}${l}`).join(""),
    };
  } else {
    const keyCol = childKeys(text, item)[0]?.col ?? step.keyCol;
    const at = index.end(step.endLine);
    const pad = " ".repeat(keyCol);
    edit = {
      span: { start: at, end: at },
      text: `\n${pad}with:${lines.map((l) => `\n${pad}  ${l}`).join("")}`,
    };
  }
  const names = missing.map((p) => `\`${p.name}\``).join(", ");
  return {
    title:
      missing.length === 1 ? `Add the required input ${names}` : `Add the required inputs ${names}`,
    diagnostic: d,
    edits: [edit],
    preferred: false,
  };
}
