/**
 * Field-level difference between what an upstream step answers now and what it answered when
 * the failing step last succeeded (or what its output schema says), for the drift triage and the
 * rename, coercion and null-guard proposals. Pure, bounded (depth and field counts capped).
 */
import { editDistance } from "@/dsl";

/** One field that differs. `path` is dotted (`customer.email`). */
export type FieldChange =
  | { kind: "missing"; path: string; was: string }
  | { kind: "added"; path: string; now: string }
  | { kind: "type"; path: string; was: string; now: string }
  | { kind: "renamed"; path: string; to: string; was: string };

const MAX_FIELDS = 200;
const MAX_DEPTH = 4;

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function flatten(v: unknown, prefix: string, out: Map<string, string>, depth: number): void {
  if (out.size >= MAX_FIELDS) return;
  if (v && typeof v === "object" && !Array.isArray(v) && depth < MAX_DEPTH) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const p = prefix ? `${prefix}.${k}` : k;
      out.set(p, typeOf(x));
      flatten(x, p, out, depth + 1);
      if (out.size >= MAX_FIELDS) return;
    }
  }
}

/** The closest name of `candidates` to `name`, when close enough to read as a rename or typo. */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: { c: string; d: number } | undefined;
  const leaf = (s: string) => s.slice(s.lastIndexOf(".") + 1).toLowerCase();
  for (const c of candidates) {
    const a = leaf(name);
    const b = leaf(c);
    const d = editDistance(a.slice(0, 64), b.slice(0, 64));
    const related = d <= Math.max(2, Math.floor(Math.max(a.length, b.length) / 3));
    const contains = a.length >= 3 && b.length >= 3 && (a.includes(b) || b.includes(a));
    if ((related || contains) && (!best || d < best.d)) best = { c, d };
  }
  return best?.c;
}

/**
 * The fields of `before` missing, retyped or renamed in `now`, and the fields `now` adds.
 *
 * @example
 * fieldDiff({ email: "a@b.co", amount: 3 }, { emailAddress: "a@b.co", amount: "3" });
 * // [{ kind: "renamed", path: "email", to: "emailAddress", ... }, { kind: "type", path: "amount", was: "number", now: "string" }]
 */
export function fieldDiff(before: unknown, now: unknown): FieldChange[] {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  flatten(before, "", a, 0);
  flatten(now, "", b, 0);
  const out: FieldChange[] = [];
  const added = [...b.keys()].filter((k) => !a.has(k));
  const used = new Set<string>();
  for (const [path, was] of a) {
    const parent = path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : "";
    if (parent && !b.has(parent) && a.has(parent)) continue; // reported at the parent
    const cur = b.get(path);
    if (cur === undefined) {
      const siblings = added.filter(
        (k) =>
          !used.has(k) &&
          (k.includes(".") ? k.slice(0, k.lastIndexOf(".")) : "") === parent &&
          b.get(k) === was,
      );
      const to = closestName(path, siblings);
      if (to) {
        used.add(to);
        out.push({ kind: "renamed", path, to, was });
      } else out.push({ kind: "missing", path, was });
    } else if (cur !== was && !(was === "null" || cur === "null")) {
      out.push({ kind: "type", path, was, now: cur });
    } else if (cur === "null" && was !== "null") {
      out.push({ kind: "missing", path, was });
    }
  }
  for (const k of added) {
    const parent = k.includes(".") ? k.slice(0, k.lastIndexOf(".")) : "";
    if (!used.has(k) && !(parent && !a.has(parent)))
      out.push({ kind: "added", path: k, now: b.get(k)! });
  }
  return out;
}

/** A field difference in words. */
export function describeChange(c: FieldChange): string {
  switch (c.kind) {
    case "missing":
      return `\`${c.path}\` (${c.was}) is no longer in the response`;
    case "added":
      return `\`${c.path}\` (${c.now}) is new in the response`;
    case "type":
      return `\`${c.path}\` was a ${c.was}, now a ${c.now}`;
    case "renamed":
      return `\`${c.path}\` appears renamed to \`${c.to}\` (same type, ${c.was})`;
  }
}
