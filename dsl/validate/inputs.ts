/**
 * A step's `with:` against its block: literal values checked with Ajv against the block's input
 * schema (expressions masked: their values are known only at run time), an agent's `tools`
 * checked to be blocks a model may call, and a schedule block's `cron` parsed as the scheduler would.
 */
import type { ErrorObject, ValidateFunction } from "ajv/dist/2020";
import { cronProblem } from "../cron";
import { schemaAtPath } from "../expr";
import type { CompiledObject, CompiledValue } from "../ir";
import { validatorFor } from "../json-schema-validator";
import { getPair, spanAtPath, type AstMap, type AstNode } from "../parse";
import { isAgentToolBlock } from "../registry/primitives/agent";
import type { BlockDefinition, JsonSchema, Span } from "../types";
import type { Analysis } from "./context";
import { suggest } from "./suggest";

/** The sub-schema at `path`, when the schema says exactly what is there. */
export function lookupFound(schema: JsonSchema, path: string[]): JsonSchema | undefined {
  const r = schemaAtPath(schema, path);
  return r.kind === "found" ? r.schema : undefined;
}

/** Schemas that do not compile: not retried (a broken block schema leaves its inputs unchecked). */
const uncompilable = new WeakSet<object>();

/** The shared Ajv's validator of an input schema (`json-schema-validator.ts`), null if it does not compile. */
function inputValidator(schema: JsonSchema): ValidateFunction | null {
  if (uncompilable.has(schema)) return null;
  try {
    return validatorFor(schema);
  } catch {
    uncompilable.add(schema);
    return null;
  }
}

/** An ajv error as a message detail; an enum names its allowed values. */
function ajvDetail(e: ErrorObject): string {
  const allowed = (e.params as { allowedValues?: unknown }).allowedValues;
  if (e.keyword === "enum" && Array.isArray(allowed))
    return `must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}`;
  return e.message ?? "is invalid";
}

const EXPR_PLACEHOLDER = "\u0000expr";

/** The inputs as plain data, expressions replaced by a placeholder whose paths are collected. */
function literalView(v: CompiledValue, path: string, exprPaths: Set<string>): unknown {
  switch (v.kind) {
    case "literal":
      return v.value;
    case "expr":
    case "template":
      exprPaths.add(path);
      return EXPR_PLACEHOLDER;
    case "array":
      return v.items.map((x, i) => literalView(x, `${path}/${i}`, exprPaths));
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v.entries)) {
        const seg =
          k.includes("~") || k.includes("/") ? k.replace(/~/g, "~0").replace(/\//g, "~1") : k;
        out[k] = literalView(x, `${path}/${seg}`, exprPaths);
      }
      return out;
    }
  }
}

function isUnderExpr(ip: string, exprPaths: Set<string>): boolean {
  if (exprPaths.size === 0) return false;
  if (exprPaths.has(ip)) return true;
  for (let i = ip.lastIndexOf("/"); i > 0; i = ip.lastIndexOf("/", i - 1))
    if (exprPaths.has(ip.slice(0, i))) return true;
  return false;
}

/** `TF3010` (unknown input), `TF3011` (missing input), `TF3012` (wrong literal) for one step. */
export function checkInputs(
  a: Analysis,
  block: BlockDefinition,
  schema: JsonSchema,
  inputs: CompiledObject,
  stepNode: AstMap,
  withNode: AstNode | undefined,
  usesSpan: Span,
  stepId: string,
): void {
  const validate = inputValidator(schema);
  if (!validate) return;
  const exprPaths = new Set<string>();
  const literal = literalView(inputs, "", exprPaths);
  if (validate(literal)) return;
  const seen = new Set<string>();
  const withPair = getPair(stepNode, "with");
  for (const e of (validate.errors ?? []) as ErrorObject[]) {
    const ip = e.instancePath;
    if (isUnderExpr(ip, exprPaths)) continue;
    const segs =
      ip === ""
        ? []
        : ip
            .slice(1)
            .split("/")
            .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    const key = `${ip}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (e.keyword === "additionalProperties") {
      const prop = String((e.params as { additionalProperty?: unknown }).additionalProperty);
      const sub = lookupFound(schema, segs);
      const known =
        sub && typeof sub.properties === "object" && sub.properties
          ? Object.keys(sub.properties)
          : [];
      const span = withNode ? spanAtPath(withNode, [...segs, prop], true) : usesSpan;
      a.report(
        "TF3010",
        span,
        { block: block.id, key: [...segs, prop].join("."), suggestion: suggest(prop, known) },
        { stepId },
      );
    } else if (e.keyword === "required") {
      const prop = String((e.params as { missingProperty?: unknown }).missingProperty);
      const span =
        segs.length === 0
          ? withPair
            ? withPair.keySpan
            : usesSpan
          : withNode
            ? spanAtPath(withNode, segs)
            : usesSpan;
      a.report("TF3011", span, { block: block.id, key: [...segs, prop].join(".") }, { stepId });
    } else if (seen.has(`${ip}|*`)) {
      continue;
    } else {
      seen.add(`${ip}|*`);
      const span = withNode ? spanAtPath(withNode, segs) : usesSpan;
      a.report(
        "TF3012",
        span,
        { path: segs.join(".") || "with", detail: ajvDetail(e) },
        { stepId },
      );
    }
  }
}

/** An agent step's `tools`: each must resolve and write nothing (writes are not tools yet). */
export function checkTools(a: Analysis, tools: unknown[], withNode: AstNode, stepId: string): void {
  tools.forEach((ref, i) => {
    if (typeof ref !== "string" || !ref.includes("@")) return; // the input schema reports it
    const span = spanAtPath(withNode, ["tools", i]);
    const r = a.resolve(ref);
    if (!r) return;
    if (!r.ok) {
      a.reportUnresolved(r, span, stepId);
    } else if (!isAgentToolBlock(r.block)) {
      a.report(
        "TF3012",
        span,
        {
          path: `tools.${i}`,
          detail: `names \`${ref}\`, which cannot be a tool: only blocks that write nothing (side effect none or read) and are not agent, control, human or trigger blocks can be called by a model`,
        },
        { stepId },
      );
    }
  });
}

/**
 * A `trigger.schedule` step's literal `cron`: the input schema checks its shape, the scheduler's
 * parser (`cron.ts`) its values (`TF3012`). An expression is left to run time.
 */
export function checkCronInput(a: Analysis, cron: string, withNode: AstNode, stepId: string): void {
  if (cron.includes("${{") || !/^\S+( \S+){4}$/.test(cron)) return;
  const problem = cronProblem(cron);
  if (problem !== undefined)
    a.report(
      "TF3012",
      spanAtPath(withNode, ["cron"]),
      { path: "cron", detail: `is not a valid cron expression: ${problem}` },
      { stepId },
    );
}
