/**
 * The block registry: every block definition a flow may `uses:`, by id and SemVer version.
 *
 * Resolution rules (see `dsl/README.md`, "Block versions"):
 * - a flow pins a major: `uses: billing.invoice.create@2`; the newest version of that major runs;
 * - N-2 compatibility: a pinned major one or two behind the newest still resolves, with a
 *   deprecation message; further behind it is `too-old`, with a migration hint;
 * - an unknown id gets a "did you mean" hint by edit distance.
 *
 * Pure data and pure functions: no I/O, safe in the browser, the server and the CLI.
 */
// A namespace import: bundlers keep only the parts of zod used (see dsl/schema.ts).
import * as z from "zod";
import { ajv, markSchemaChecked, strictSchemaErrors, validatorFor } from "../json-schema-validator";
import type { BlockDefinition, BlockKind } from "../types";
import { primitiveBlocks } from "./primitives/index";

/** Result of {@link BlockRegistry.resolve}. */
export type ResolveResult =
  | {
      ok: true;
      block: BlockDefinition;
      /**
       * Set when the pinned major is one or two behind the newest major (N-2: it still compiles,
       * with a warning), or when the block itself is marked deprecated.
       */
      deprecated?: string;
    }
  | {
      ok: false;
      reason: "unknown-block" | "unknown-major" | "too-old";
      message: string;
      /** unknown-block: "did you mean ...?"; unknown-major: how to pin; too-old: migration path. */
      hint?: string;
    };

/** How many majors behind the newest a pin may be and still compile (N-2). */
export const SUPPORTED_MAJORS_BEHIND = 2;

/** The order in which {@link BlockRegistry.list} groups kinds (the palette's order). */
export const BLOCK_KIND_ORDER: readonly BlockKind[] = [
  "trigger",
  "connector",
  "control",
  "agent",
  "policy",
  "data",
  "code",
  "human",
];

/** A dotted, lower-case block id: at least two segments, e.g. `billing.invoice.create`. */
export const BLOCK_ID_PATTERN = /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_-]*)+$/;
const SEMVER_PATTERN =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const BLOCK_REF_PATTERN = /^([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_-]*)+)@(0|[1-9]\d*)$/;

const ZJsonSchema = z.record(z.string(), z.unknown());
const ZSlaTier = z.enum(["T0", "T1", "T2"]);

/**
 * Zod schema of {@link BlockDefinition}: the shape check for workspace-registered blocks.
 * {@link validateBlockDefinition} adds the checks zod cannot express (JSON Schemas compile,
 * the example validates).
 */
export const ZBlockDefinition = z
  .object({
    id: z.string().regex(BLOCK_ID_PATTERN, "a dotted lower-case id such as `crm.deal.update`"),
    version: z.string().regex(SEMVER_PATTERN, "a full SemVer version such as `2.1.0`"),
    kind: z.enum(["connector", "control", "agent", "policy", "data", "code", "human", "trigger"]),
    title: z.string().min(1),
    docs: z.string().min(1),
    inputSchema: ZJsonSchema,
    outputSchema: ZJsonSchema,
    sideEffect: z.enum(["none", "read", "write"]),
    sla: z
      .object({
        tier: ZSlaTier.optional(),
        retries: z.number().int().min(0).optional(),
        backoff: z.enum(["exponential", "linear", "fixed"]).optional(),
        initialDelayMs: z.number().int().min(0).optional(),
        factor: z.number().min(1).optional(),
        maxDelayMs: z.number().int().min(0).optional(),
        jitter: z.enum(["full", "equal", "none"]).optional(),
        timeoutMs: z.number().int().positive().optional(),
        deadLetter: z.boolean().optional(),
      })
      .strict()
      .optional(),
    consent: z.object({ purpose: z.string().min(1) }).optional(),
    baselineTrust: z.number().min(0).max(1),
    compensation: z
      .string()
      .regex(BLOCK_REF_PATTERN, "a pinned block reference such as `billing.invoice.void@1`")
      .optional(),
    system: z.string().min(1).optional(),
    example: z.record(z.string(), z.unknown()),
    deprecated: z
      .object({ message: z.string().min(1), replacement: z.string().optional() })
      .optional(),
    tags: z.array(z.string()).optional(),
  })
  // Another engineer may add fields to BlockDefinition: unknown keys pass through untouched.
  .loose();

/** The `format` values block schemas may use: the one list, in `json-schema-validator.ts`. */
export { SCHEMA_FORMATS } from "../json-schema-validator";

/**
 * Validates an untrusted block definition (e.g. one a workspace registers).
 *
 * Checks the shape ({@link ZBlockDefinition}), that `inputSchema` and `outputSchema` compile
 * as JSON Schema 2020-12, that `example` validates against `inputSchema`, and that only write
 * blocks declare a compensation.
 *
 * @example
 * const r = validateBlockDefinition(JSON.parse(body));
 * if (!r.ok) throw new Error(r.errors.join("\n"));
 */
export function validateBlockDefinition(
  x: unknown,
): { ok: true; block: BlockDefinition } | { ok: false; errors: string[] } {
  const parsed = ZBlockDefinition.safeParse(x);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map(
        (i) => `${i.path.length > 0 ? i.path.join(".") : "(root)"}: ${i.message}`,
      ),
    };
  }
  const block = parsed.data as BlockDefinition;
  const errors: string[] = [];
  for (const key of ["inputSchema", "outputSchema"] as const) {
    // Strict JSON Schema 2020-12 (unknown keywords and formats refused), then the example is
    // validated with the shared Ajv, as every input is at compile and run time.
    const invalid = strictSchemaErrors(block[key]);
    if (invalid !== null) {
      errors.push(`${key}: not a valid JSON Schema 2020-12: ${invalid}`);
      continue;
    }
    if (key !== "inputSchema") continue;
    // Just checked against the meta-schema (strictly): the shared Ajv need not check it again.
    markSchemaChecked(block.inputSchema);
    try {
      const validate = validatorFor(block.inputSchema);
      if (!validate(block.example)) {
        errors.push(
          `example: does not match inputSchema: ${ajv.errorsText(validate.errors, { dataVar: "example" })}`,
        );
      }
    } catch (e) {
      errors.push(`${key}: not a valid JSON Schema 2020-12: ${(e as Error).message}`);
    }
  }
  if (block.compensation !== undefined && block.sideEffect !== "write") {
    errors.push(`compensation: only a block with sideEffect "write" can be compensated`);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, block };
}

/** Parses `id@major`; `major` is undefined when the `@major` part is missing or malformed. */
export function parseBlockRef(uses: string): { id: string; major?: number; malformed: boolean } {
  const at = uses.lastIndexOf("@");
  if (at < 0) return { id: uses.trim(), malformed: false };
  const id = uses.slice(0, at).trim();
  const m = /^(0|[1-9]\d*)$/.exec(uses.slice(at + 1).trim());
  return m ? { id, major: Number(m[1]), malformed: false } : { id, malformed: true };
}

/** Compares two SemVer strings (prereleases sort before their release; build metadata ignored). */
export function compareSemver(a: string, b: string): number {
  const pa = SEMVER_PATTERN.exec(a);
  const pb = SEMVER_PATTERN.exec(b);
  if (!pa || !pb) return a.localeCompare(b);
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return d;
  }
  const ra = pa[4];
  const rb = pb[4];
  if (ra === rb) return 0;
  if (ra === undefined) return 1;
  if (rb === undefined) return -1;
  const xa = ra.split(".");
  const xb = rb.split(".");
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    const sa = xa[i];
    const sb = xb[i];
    if (sa === undefined) return -1;
    if (sb === undefined) return 1;
    const na = /^\d+$/.test(sa);
    const nb = /^\d+$/.test(sb);
    if (na && nb && Number(sa) !== Number(sb)) return Number(sa) - Number(sb);
    if (na !== nb) return na ? -1 : 1;
    if (sa !== sb) return sa < sb ? -1 : 1;
  }
  return 0;
}

function majorOf(version: string): number {
  return Number(version.slice(0, version.indexOf(".")));
}

/** Levenshtein distance, used for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The built-in definitions themselves (by identity: a copy, even an equal one, is validated). */
const builtInBlocks: ReadonlySet<BlockDefinition> = new Set(primitiveBlocks);

/**
 * Holds every version of every block and resolves `uses:` references.
 *
 * @example
 * const registry = BlockRegistry.withPrimitives(workspaceBlocks);
 * const r = registry.resolve("billing.account.upsert@2");
 * if (r.ok) console.log(r.block.outputSchema);
 */
export class BlockRegistry {
  /** id -> versions, newest first. */
  private readonly byId = new Map<string, BlockDefinition[]>();

  /**
   * Builds a registry. Many versions of one id may coexist; every definition but the built-in
   * primitives (constants the tests check) is validated with {@link validateBlockDefinition}, and a duplicate id+version, an invalid definition, or a
   * compensation that does not resolve in this registry throws an Error naming the block.
   */
  constructor(blocks: BlockDefinition[]) {
    for (const raw of blocks) {
      const label = `${String((raw as { id?: unknown }).id)}@${String((raw as { version?: unknown }).version)}`;
      // The built-in primitives are constants, checked once by the registry's tests ("every
      // primitive validates"), not compiled again at each start of the CLI, studio or server.
      const v = builtInBlocks.has(raw) ? null : validateBlockDefinition(raw);
      if (v && !v.ok)
        throw new Error(`Invalid block definition ${label}:\n  ${v.errors.join("\n  ")}`);
      const versions = this.byId.get(raw.id) ?? [];
      if (versions.some((b) => b.version === raw.version)) {
        throw new Error(`Duplicate block definition ${label}: each id+version may appear once`);
      }
      versions.push(raw);
      this.byId.set(raw.id, versions);
      // Valid JSON Schema (checked just above, or by the tests for a built-in): a flow's inputs
      // are validated against it without compiling the meta-schema first.
      markSchemaChecked(raw.inputSchema);
      markSchemaChecked(raw.outputSchema);
    }
    for (const versions of this.byId.values())
      versions.sort((a, b) => compareSemver(b.version, a.version));
    for (const versions of this.byId.values()) {
      for (const b of versions) {
        if (b.compensation === undefined) continue;
        const r = this.resolve(b.compensation);
        if (!r.ok) {
          throw new Error(
            `Invalid block definition ${b.id}@${b.version}: compensation ${b.compensation}: ${r.message}`,
          );
        }
      }
    }
  }

  /**
   * The built-in primitives plus `extra` (workspace-registered blocks, same schema). A workspace
   * block may add new versions to a primitive id, but not redefine an existing id+version.
   */
  static withPrimitives(extra: BlockDefinition[] = []): BlockRegistry {
    return new BlockRegistry([...primitiveBlocks, ...extra]);
  }

  /**
   * Resolves a `uses:` reference such as `billing.invoice.create@2` to the newest version of that
   * major. Never throws.
   */
  resolve(uses: string): ResolveResult {
    const { id, major, malformed } = parseBlockRef(uses);
    const versions = this.byId.get(id);
    if (!versions) {
      const suggestion = this.closestId(id);
      return {
        ok: false,
        reason: "unknown-block",
        message: `Unknown block \`${id}\``,
        hint: suggestion ? `did you mean \`${suggestion}\`?` : undefined,
      };
    }
    const newest = versions[0]!;
    const newestMajor = majorOf(newest.version);
    if (major === undefined) {
      return {
        ok: false,
        reason: "unknown-major",
        message: malformed
          ? `\`${uses}\`: the major version after @ must be a whole number`
          : `\`${id}\` must be pinned to a major version`,
        hint: `pin the major: \`${id}@${newestMajor}\``,
      };
    }
    const available = this.majors(id);
    const pinned = versions.find((b) => majorOf(b.version) === major);
    const behind = newestMajor - major;
    if (behind > SUPPORTED_MAJORS_BEHIND) {
      const why = pinned?.deprecated?.message ?? newest.docs.split("\n")[0];
      return {
        ok: false,
        reason: "too-old",
        message: `\`${id}@${major}\` is no longer supported: the newest major is ${newestMajor} and only ${SUPPORTED_MAJORS_BEHIND} majors back are kept`,
        hint: `upgrade to ${id}@${newestMajor}: ${why}`,
      };
    }
    if (!pinned) {
      return {
        ok: false,
        reason: "unknown-major",
        message: `\`${id}\` has no major ${major} (available: ${available.map((m) => `@${m}`).join(", ")})`,
        hint: `use \`${id}@${newestMajor}\``,
      };
    }
    const notes: string[] = [];
    if (behind > 0) {
      notes.push(
        `\`${id}@${major}\` is ${behind} major${behind > 1 ? "s" : ""} behind \`${id}@${newestMajor}\` and will stop compiling when @${major + SUPPORTED_MAJORS_BEHIND + 1} ships`,
      );
    }
    if (pinned.deprecated) notes.push(pinned.deprecated.message);
    return notes.length > 0
      ? { ok: true, block: pinned, deprecated: notes.join(": ") }
      : { ok: true, block: pinned };
  }

  /** The newest version of `id` in `major`, or the newest overall when `major` is omitted. */
  get(id: string, major?: number): BlockDefinition | undefined {
    const versions = this.byId.get(id);
    if (!versions) return undefined;
    return major === undefined ? versions[0] : versions.find((b) => majorOf(b.version) === major);
  }

  /** Every version of `id`, newest first (empty when unknown). */
  versions(id: string): BlockDefinition[] {
    return [...(this.byId.get(id) ?? [])];
  }

  /** The majors available for `id`, descending. */
  majors(id: string): number[] {
    return [...new Set((this.byId.get(id) ?? []).map((b) => majorOf(b.version)))];
  }

  /** The newest version of every id, sorted by kind ({@link BLOCK_KIND_ORDER}) then id. */
  list(): BlockDefinition[] {
    const rank = (k: BlockKind) => BLOCK_KIND_ORDER.indexOf(k);
    return [...this.byId.values()]
      .map((v) => v[0]!)
      .sort((a, b) => rank(a.kind) - rank(b.kind) || a.id.localeCompare(b.id));
  }

  /** Whether any version of `id` exists. */
  has(id: string): boolean {
    return this.byId.has(id);
  }

  private closestId(id: string): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const candidate of this.byId.keys()) {
      const d = editDistance(id, candidate);
      if (d < bestDistance || (d === bestDistance && best !== undefined && candidate < best)) {
        best = candidate;
        bestDistance = d;
      }
    }
    // Beyond a third of the name, the "closest" id is noise rather than a typo.
    return bestDistance <= Math.max(2, Math.ceil(id.length / 3)) ? best : undefined;
  }
}
