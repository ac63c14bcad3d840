/**
 * Phase 2a, structure: the zod issues of `ZFlowDocument.safeParse` mapped to catalogue
 * diagnostics and located in the AST (an unknown key at its key span, a bad value at its value).
 */
import type { z } from "zod";
import { diag } from "../diagnostics";
import { getPair, getValue, spanAtPath, type AstNode } from "../parse";
import { ZFlowDocument, ZStep } from "../schema";
import type { Diagnostic } from "../types";
import { suggest } from "./suggest";

const ROOT_KEYS = Object.keys(ZFlowDocument.shape);
const STEP_KEYS = Object.keys(ZStep.shape);

/**
 * Maps zod issues of the structural check to catalogue diagnostics, located in the AST.
 */
export function structuralDiagnostics(
  root: AstNode,
  issues: readonly z.core.$ZodIssue[],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of issues) {
    const path = issue.path.filter(
      (p): p is string | number => typeof p === "string" || typeof p === "number",
    );
    const last = path[path.length - 1];
    const pathText = path.join(".") || "(document)";
    const at = (preferKey = false) => spanAtPath(root, path, preferKey);
    switch (issue.code) {
      case "unrecognized_keys": {
        const known =
          path.length === 0 ? ROOT_KEYS : path.length === 2 && path[0] === "steps" ? STEP_KEYS : [];
        for (const key of issue.keys) {
          out.push(
            diag("TF1003", spanAtPath(root, [...path, key], true), {
              key,
              where: path.length === 0 ? undefined : pathText,
              suggestion: suggest(key, known),
            }),
          );
        }
        break;
      }
      case "invalid_type": {
        if (path.length === 1 && last === "version" && nodeAt(root, path)) {
          out.push(diag("TF1006", at(), { value: scalarText(nodeAt(root, path)) }));
          break;
        }
        if (last === "sla" && nodeAt(root, path)) {
          out.push(diag("TF1008", at(), { value: scalarText(nodeAt(root, path)) }));
          break;
        }
        const parent = nodeAt(root, path.slice(0, -1));
        if (typeof last === "string" && parent?.kind === "map" && !getPair(parent, last)) {
          const first = parent.pairs[0];
          out.push(
            diag("TF1004", first ? first.keySpan : parent.span, {
              key: last,
              where: path.length > 1 ? path.slice(0, -1).join(".") : undefined,
            }),
          );
        } else if (path.length === 0) {
          out.push(
            diag("TF1002", at(), {
              path: "the document",
              expected: "a mapping of keys (flow, version, steps, ...)",
              got: describe(root),
            }),
          );
        } else {
          out.push(
            diag("TF1002", at(), {
              path: pathText,
              expected: article(issue.expected),
              got: describe(nodeAt(root, path)),
            }),
          );
        }
        break;
      }
      case "invalid_value":
        if (last === "sla")
          out.push(diag("TF1008", at(), { value: scalarText(nodeAt(root, path)) }));
        else
          out.push(
            diag("TF1005", at(), {
              path: pathText,
              detail: `expected one of ${issue.values.map((v) => String(v)).join(", ")}`,
            }),
          );
        break;
      case "invalid_format": {
        const value = scalarText(nodeAt(root, path));
        if (path.length === 1 && last === "version") out.push(diag("TF1006", at(), { value }));
        else if (last === "uses" || last === "compensate")
          out.push(diag("TF1010", at(), { path: String(last) }));
        else if (last === "timeout" || last === "initial_delay" || last === "max_delay")
          out.push(diag("TF1007", at(), { path: pathText }));
        else if (last === "id" && path[0] === "steps")
          out.push(diag("TF1015", at(), { value, what: "step" }));
        else if (last === "cron") out.push(diag("TF1012", at(), { value }));
        else if (path[0] === "policies") out.push(diag("TF1011", at()));
        else
          out.push(
            diag("TF1005", at(), { path: pathText, detail: "does not have the expected format" }),
          );
        break;
      }
      case "too_small":
      case "too_big":
        if (last === "min" && path[path.length - 2] === "trust")
          out.push(diag("TF1009", at(), { value: scalarText(nodeAt(root, path)) }));
        else
          out.push(
            diag("TF1005", at(), {
              path: pathText,
              detail: issue.message.replace(/^Too (small|big): /, ""),
            }),
          );
        break;
      case "invalid_union":
        out.push(
          diag("TF1002", at(), {
            path: pathText,
            expected:
              last === "if"
                ? "a condition (string or boolean)"
                : last === "manual" || last === "webhook"
                  ? "empty or a mapping"
                  : "a valid value",
            got: describe(nodeAt(root, path)),
          }),
        );
        break;
      default:
        out.push(diag("TF1005", at(), { path: pathText, detail: issue.message }));
    }
  }
  return out;
}

function article(t: string): string {
  if (t === "object" || t === "record") return "a mapping";
  if (t === "array" || t === "tuple") return "a list";
  if (t === "int") return "an integer";
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

function describe(n: AstNode | undefined): string | undefined {
  if (!n) return undefined;
  if (n.kind === "map") return "a mapping";
  if (n.kind === "seq") return "a list";
  return n.value === null
    ? "nothing"
    : typeof n.value === "string"
      ? "a string"
      : `a ${typeof n.value}`;
}

function scalarText(n: AstNode | undefined): string {
  if (!n) return "";
  return n.kind === "scalar" ? String(n.value) : (describe(n) ?? "");
}

function nodeAt(root: AstNode, path: ReadonlyArray<string | number>): AstNode | undefined {
  let n: AstNode | undefined = root;
  for (const seg of path) {
    if (!n) return undefined;
    if (n.kind === "map" && typeof seg === "string") n = getValue(n, seg);
    else if (n.kind === "seq" && typeof seg === "number") n = n.items[seg];
    else return undefined;
  }
  return n;
}
