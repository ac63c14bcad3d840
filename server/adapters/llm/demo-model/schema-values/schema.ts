/**
 * Schema plumbing: local `$ref`s resolved, `allOf` merged into one schema (an approximation the
 * final validation checks), the type a value takes when the schema does not say, canonical JSON
 * for equality of values.
 */
import { canonicalJson } from "@/dsl";
import type { Rng } from "../rng";
import { isObj, num, type Ctx, type Schema } from "./context";

/** Canonical JSON (the compiler's one writer): equality for `enum`, `const`, `uniqueItems`, caches. */
export const canonical = (v: unknown): string => canonicalJson(v);

function resolvePointer(root: unknown, ref: string): unknown {
  if (ref === "#") return root;
  if (!ref.startsWith("#/")) return undefined;
  let cur: unknown = root;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(cur)) cur = cur[Number(key)];
    else if (isObj(cur)) cur = cur[key];
    else return undefined;
  }
  return cur;
}

const MIN_KEYS = ["minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"];
const MAX_KEYS = ["maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"];

export function typesOf(s: Schema): string[] | undefined {
  if (typeof s.type === "string") return [s.type];
  if (Array.isArray(s.type)) return s.type.filter((t): t is string => typeof t === "string");
  return undefined;
}

/** `allOf` as one schema (an approximation the final validation checks). */
export function merge(a: Schema, b: Schema): Schema {
  const out: Schema = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const mine = out[k];
    if (mine === undefined) {
      out[k] = v;
    } else if (k === "properties" && isObj(mine) && isObj(v)) {
      const props: Schema = { ...mine };
      for (const [p, ps] of Object.entries(v)) {
        props[p] = props[p] === undefined ? ps : { allOf: [props[p], ps] };
      }
      out.properties = props;
    } else if (k === "required" && Array.isArray(mine) && Array.isArray(v)) {
      out.required = [...new Set([...mine, ...v])];
    } else if (k === "type") {
      const ta = typesOf(a) ?? [];
      const tb = typesOf(b) ?? [];
      const both = ta.filter((t) => tb.includes(t) || (t === "integer" && tb.includes("number")));
      const extra = tb.filter((t) => t === "integer" && ta.includes("number"));
      out.type = [...new Set([...both, ...extra])];
      if ((out.type as string[]).length === 0) out.type = v;
    } else if (k === "enum" && Array.isArray(mine) && Array.isArray(v)) {
      const keep = new Set(v.map(canonical));
      out.enum = mine.filter((x) => keep.has(canonical(x)));
    } else if (MIN_KEYS.includes(k) && num(mine) !== undefined && num(v) !== undefined) {
      out[k] = Math.max(mine as number, v as number);
    } else if (MAX_KEYS.includes(k) && num(mine) !== undefined && num(v) !== undefined) {
      out[k] = Math.min(mine as number, v as number);
    } else if (k === "items" && isObj(mine) && isObj(v)) {
      out.items = { allOf: [mine, v] };
    } else if (k === "additionalProperties") {
      out.additionalProperties = mine === false || v === false ? false : { allOf: [mine, v] };
    } else if (k === "allOf" && Array.isArray(mine) && Array.isArray(v)) {
      out.allOf = [...mine, ...v];
    } else {
      out[k] = v;
    }
  }
  return out;
}

/** The schema with `$ref` and `allOf` folded in (bounded: a ref cycle stops at the depth cap). */
export function flatten(schema: unknown, ctx: Ctx, hops = 0): Schema | boolean {
  if (typeof schema === "boolean") return schema;
  if (!isObj(schema)) return true;
  let s = schema;
  if (typeof s.$ref === "string" && hops < 32) {
    const { $ref, ...rest } = s;
    const target = resolvePointer(ctx.root, $ref as string);
    const t = flatten(target === undefined ? {} : target, ctx, hops + 1);
    if (t === false) return false;
    s = t === true ? rest : merge(t, rest);
  }
  if (Array.isArray(s.allOf) && hops < 32) {
    const { allOf, ...rest } = s;
    let acc: Schema = rest;
    for (const part of allOf as unknown[]) {
      const f = flatten(part, ctx, hops + 1);
      if (f === false) return false;
      if (f !== true) acc = merge(acc, f);
    }
    return flatten(acc, ctx, hops + 1);
  }
  return s;
}

export function inferType(s: Schema, rng: Rng): string {
  const types = typesOf(s);
  if (types?.length) {
    // An informative type first: null only when it is the only one allowed.
    const useful = types.filter((t) => t !== "null");
    return useful.length ? useful[rng.int(0, useful.length - 1)]! : "null";
  }
  if (
    isObj(s.properties) ||
    Array.isArray(s.required) ||
    s.additionalProperties !== undefined ||
    s.minProperties !== undefined
  )
    return "object";
  if (s.items !== undefined || s.prefixItems !== undefined || s.minItems !== undefined)
    return "array";
  if (
    s.minimum !== undefined ||
    s.maximum !== undefined ||
    s.multipleOf !== undefined ||
    s.exclusiveMinimum !== undefined ||
    s.exclusiveMaximum !== undefined
  )
    return "number";
  return "string";
}

export function fitsType(v: unknown, t: string): boolean {
  switch (t) {
    case "null":
      return v === null;
    case "boolean":
      return typeof v === "boolean";
    case "integer":
      return Number.isInteger(v);
    case "number":
      return typeof v === "number";
    case "string":
      return typeof v === "string";
    case "array":
      return Array.isArray(v);
    case "object":
      return isObj(v);
    default:
      return false;
  }
}

export function isPlainString(s: Schema | boolean): boolean {
  return (
    isObj(s) &&
    s.type === "string" &&
    s.enum === undefined &&
    s.const === undefined &&
    s.pattern === undefined &&
    s.format === undefined
  );
}
