import {
  BlockRegistry,
  compile,
  policyLibrary,
  type CompileResult,
  type FlowDirectory,
  type FlowIR,
  type TrustProvider,
} from "@/dsl";

let primitives: BlockRegistry | undefined;

/** The server's block registry: the primitives (workspace blocks arrive later). Built once. */
export function serverRegistry(): BlockRegistry {
  primitives ??= BlockRegistry.withPrimitives();
  return primitives;
}

/**
 * Compiles a flow text the way the server does everywhere (saving, running, seeding, triggers,
 * subflows): the server registry (or a workspace's own), and the shipped policy library.
 * Design-time compiles (saving a draft, publishing a version, running a draft) pass the
 * workspace's `directory` (`workspaceDirectory`), so an unknown `group:` or `users:` is TF3060.
 */
export function compileFlow(
  text: string,
  opts: {
    workspaceBlocks?: BlockRegistry;
    directory?: FlowDirectory;
    earnedTrust?: TrustProvider;
  } = {},
): CompileResult {
  const options = {
    registry: opts.workspaceBlocks ?? serverRegistry(),
    policies: policyLibrary,
    ...(opts.directory ? { directory: opts.directory } : {}),
  };
  const r = compile(text, options);
  return opts.earnedTrust ? withEarnedTrust(r, text, options, opts.earnedTrust) : r;
}

const TRUST_CODES = new Set(["TF3040", "TF3041"]);

/**
 * Adds the earned scores' trust diagnostics to a baseline compile, as warnings (issue 17): the
 * IR, `ok` and the errors stay the baseline's, so history never blocks saving a version; a gate
 * the earned score is under (and the baseline is not) shows as a warning saying so.
 */
function withEarnedTrust(
  r: CompileResult,
  text: string,
  options: Parameters<typeof compile>[1],
  earned: TrustProvider,
): CompileResult {
  if (r.diagnostics.some((d) => d.code.startsWith("TF1") && d.severity === "error")) return r; // YAML or schema errors
  const seen = new Set(
    r.diagnostics.filter((d) => TRUST_CODES.has(d.code)).map((d) => `${d.code}:${d.stepId}`),
  );
  const extra = compile(text, { ...options, trust: earned, trustSeverity: "warning" })
    .diagnostics.filter((d) => TRUST_CODES.has(d.code) && !seen.has(`${d.code}:${d.stepId}`))
    .map((d) => ({
      ...d,
      severity: "warning" as const,
      message: `${d.message} (earned trust from run history: runs are checked on it at their start)`,
    }));
  return extra.length ? { ...r, diagnostics: [...r.diagnostics, ...extra] } : r;
}

/** A compiled flow: its IR, or the first compile errors when it has none. */
export interface CompiledFlow {
  ir: FlowIR | null;
  problems: string[];
}

const cache = new Map<string, CompiledFlow>();
const MAX_CACHED = 500;

/**
 * {@link compileFlow}, once per `key`: the key must name immutable text (a version id, or a
 * draft with its timestamp), so webhooks, schedule ticks and subflow lookups do not recompile.
 *
 * Deliberately without the workspace's directory: these compiles start runs of what was already
 * checked when it was saved or published, and a group deleted or renamed since must not make
 * triggers, webhooks and schedules start failing (nor would the cache key see the change).
 */
export function compileFlowCached(key: string, text: string): CompiledFlow {
  const hit = cache.get(key);
  if (hit) return hit;
  const r = compileFlow(text);
  const value: CompiledFlow =
    r.ok && r.ir
      ? { ir: r.ir, problems: [] }
      : {
          ir: null,
          problems: r.diagnostics
            .filter((d) => d.severity === "error")
            .slice(0, 3)
            .map((d) => `${d.code} ${d.message}`),
        };
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}
