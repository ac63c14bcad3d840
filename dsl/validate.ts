/**
 * Phase 2: structural and semantic checks over the AST. Produces every diagnostic it can find
 * (never stops at the first, never throws) and a {@link FlowModel}: the resolved, partially
 * compiled flow that `compile()` turns into IR and the policy evaluator turns into facts.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020";
import type { z } from "zod";
import { diag, type DiagnosticCode, type DiagnosticData } from "./diagnostics";
import {
  analyzeCel,
  scanString,
  schemaAtPath,
  schemaTypes,
  typesCompatible,
  type CelAnalysis,
  type LocatedRef,
} from "./expr";
import type {
  CompiledExpr,
  CompiledObject,
  CompiledValue,
  ExprRef,
  ModelIR,
  OnError,
  TriggerIR,
} from "./ir";
import {
  astToJs,
  getPair,
  getValue,
  spanAtPath,
  type AstMap,
  type AstNode,
  type AstScalar,
} from "./parse";
import { INPUT_NAME_RE, ZFlowDocument, ZStep } from "./schema";
import { isAgentToolBlock } from "./registry/primitives/agent";
import { editDistance } from "./registry/registry";
import { resolveResilience, type StepResilienceOverrides } from "./sla";
import type {
  BlockDefinition,
  Diagnostic,
  JsonSchema,
  PolicyDocument,
  ResilienceProfile,
  SlaTier,
  Span,
  TrustProvider,
} from "./types";

/** The registry API the compiler needs (implemented by `BlockRegistry`). */
export interface BlockResolver {
  resolve(uses: string):
    | { ok: true; block: BlockDefinition; deprecated?: string }
    | {
        ok: false;
        reason: "unknown-block" | "unknown-major" | "too-old";
        message: string;
        hint?: string;
      };
  get(id: string, major?: number): BlockDefinition | undefined;
}

/** Options of `compile()` and `validate()`. */
export interface CompileOptions {
  registry: BlockResolver;
  /** Current trust scores; default: the blocks' baseline trust. */
  trust?: TrustProvider;
  /**
   * Forces the severity of "trust below minimum" diagnostics (`TF3040`, `TF3041`). Default: from
   * the gate's `below`: `halt` (the default) is an error, `approval` a warning.
   */
  trustSeverity?: "warning" | "error";
  /**
   * The workspace's directory. When given, approvals and forms that address an unknown `group:`
   * or a `users:` email that is not a member get `TF3060`. Without it they are not checked.
   */
  directory?: FlowDirectory;
  /** Policy documents a flow may name in `policies:` (default: none besides the defaults). */
  policies?: PolicyDocument[];
  /** Workspace-enforced policies, `name@major`, applied to every flow. */
  enforcedPolicies?: string[];
}

/** The groups and members of a workspace, for addressing checks (see `CompileOptions.directory`). */
export interface FlowDirectory {
  /** Group names, e.g. `finance`. */
  groups: readonly string[];
  /** Members' emails (compared case-insensitively). */
  users: readonly string[];
}

/** What happens when a trust score is under its minimum. */
export type TrustBelow = "halt" | "approval";

/** Where each block that addresses people takes its assignees (`role` | `group` | `users`). */
export const ADDRESSING_INPUTS: Readonly<Record<string, string>> = {
  "human.approval": "approvers",
  "human.form": "assignees",
  "policy.check": "approvers",
};

/** A located expression occurrence, before reference checks. */
interface ExprSite {
  compiled: CompiledExpr;
  refs: LocatedRef[];
  /** Maps an offset in the CEL source to an offset in the text (undefined: use `fallback`). */
  base?: number;
  fallback: Span;
  /** Owning step index, or -1 for flow outputs. */
  owner: number;
  /** Expected JSON Schema of the slot this value fills (type checks). */
  target?: JsonSchema;
  targetPath: string;
  /** True when the expression is the whole value (typed), false inside a template. */
  whole: boolean;
  allowItem: boolean;
}

/** A step after analysis. Internal to `dsl/`. */
export interface StepModel {
  index: number;
  id: string;
  idSpan: Span;
  usesSpan: Span;
  uses: string;
  block?: BlockDefinition;
  major: number;
  explicitNeeds: Array<{ id: string; span: Span }>;
  /** Implicit dependencies from data references: step id -> first reference span. */
  dataNeeds: Map<string, { span: Span; fields: Set<string> }>;
  /** All dependencies (explicit + data), resolved to indices, deduped. */
  deps: number[];
  inputs: CompiledObject;
  /** `with:` inputs as literals (expressions as their source text), for policy facts. */
  literalInputs: Record<string, unknown>;
  condition?: CompiledExpr;
  conditionFalseSpan?: Span;
  slaTier?: SlaTier;
  resilience: ResilienceProfile;
  compensate?: { uses: string; block: BlockDefinition };
  trustMin: number | null;
  ownTrustMin: number | null;
  /** The step's `trust.below`, else the flow's, else `halt`. */
  trustBelow: TrustBelow;
  trust: number;
  consent?: { purpose: string; require?: string; id?: CompiledValue };
  model?: ModelIR;
  onError: OnError;
  description?: string;
  /** Set when a step's structure is too broken to compile. */
  broken: boolean;
}

/** The analysed flow. Internal to `dsl/`. */
export interface FlowModel {
  name: string;
  version: string;
  description?: string;
  sla: SlaTier;
  slaSpan?: Span;
  trustMin: number | null;
  trustMinSpan?: Span;
  /** The flow's `trust.below` (default `halt`). */
  trustBelow: TrustBelow;
  consentPurposes: string[];
  trigger: TriggerIR;
  inputsSchema: JsonSchema;
  outputs: Record<string, CompiledValue>;
  steps: StepModel[];
  byId: Map<string, StepModel>;
  /** Topological order of step indices, or undefined when the graph has a cycle. */
  order?: number[];
  policies: Array<{ ref: string; span: Span }>;
  sandboxOnly: boolean;
  rootSpan: Span;
}

const ROOT_KEYS = Object.keys(ZFlowDocument.shape);
const STEP_KEYS = Object.keys(ZStep.shape);

let ajvInstance: Ajv2020 | undefined;
const validators = new WeakMap<object, ValidateFunction | null>();

function validatorFor(schema: JsonSchema): ValidateFunction | null {
  let v = validators.get(schema);
  if (v !== undefined) return v;
  ajvInstance ??= new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
  try {
    v = ajvInstance.compile(schema);
  } catch {
    v = null;
  }
  validators.set(schema, v);
  return v;
}

/** Levenshtein distance (small strings: keys, ids): the registry's, one implementation. */
export { editDistance };

/** The closest candidate within a third of the name's length, for "did you mean" hints. */
export function suggest(
  name: string,
  candidates: Iterable<string>,
  limit = 500,
): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  let n = 0;
  for (const c of candidates) {
    if (++n > limit) break;
    if (Math.abs(c.length - name.length) > bestD) continue;
    const d = editDistance(name, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(2, Math.ceil(name.length / 3)) ? best : undefined;
}

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

const str = (n: AstNode | undefined): string | undefined =>
  n?.kind === "scalar" && typeof n.value === "string" ? n.value : undefined;
const num = (n: AstNode | undefined): number | undefined =>
  n?.kind === "scalar" && typeof n.value === "number" ? n.value : undefined;
/** An ajv error as a message detail; an enum names its allowed values. */
function ajvDetail(e: ErrorObject): string {
  const allowed = (e.params as { allowedValues?: unknown }).allowedValues;
  if (e.keyword === "enum" && Array.isArray(allowed))
    return `must be one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}`;
  return e.message ?? "is invalid";
}
const belowOf = (n: AstNode | undefined): TrustBelow | undefined => {
  const v = str(n);
  return v === "halt" || v === "approval" ? v : undefined;
};
const isExpression = (v: string): boolean => v.includes("${{");
const tierOf = (n: AstNode | undefined): SlaTier | undefined => {
  const v = str(n);
  return v === "T0" || v === "T1" || v === "T2" ? v : undefined;
};

/** Context shared by the analysis of one document. */
class Analyzer {
  readonly diagnostics: Diagnostic[] = [];
  private readonly sites: ExprSite[] = [];
  /** Expression sites record the step's position in `steps:`; duplicates are dropped later. */
  private readonly siteOwners = new Map<number, StepModel>();
  /** `registry.resolve` results by `uses` text: flows pin the same few blocks many times. */
  private readonly resolved = new Map<string, ReturnType<BlockResolver["resolve"]> | undefined>();

  constructor(
    private readonly text: string,
    private readonly root: AstMap,
    private readonly options: CompileOptions,
  ) {}

  private report(
    code: DiagnosticCode,
    span: Span,
    data: DiagnosticData = {},
    extra: Parameters<typeof diag>[3] = {},
  ): void {
    this.diagnostics.push(diag(code, span, data, extra));
  }

  /** `registry.resolve(uses)`, once per distinct text per document; undefined if it throws. */
  private resolve(uses: string): ReturnType<BlockResolver["resolve"]> | undefined {
    if (this.resolved.has(uses)) return this.resolved.get(uses);
    const r = safe(() => this.options.registry.resolve(uses));
    this.resolved.set(uses, r);
    return r;
  }

  run(): FlowModel {
    const root = this.root;
    const flowSla = tierOf(getValue(root, "sla"));
    const trustMinNode = getValue(getValue(root, "trust"), "min");
    const trustMin = num(trustMinNode);
    const trustBelow = belowOf(getValue(getValue(root, "trust"), "below")) ?? "halt";
    const purposesNode = getValue(getValue(root, "consent"), "purposes");
    const consentPurposes =
      purposesNode?.kind === "seq"
        ? purposesNode.items.map(str).filter((x): x is string => x !== undefined)
        : [];
    const model: FlowModel = {
      name: str(getValue(root, "flow")) ?? "",
      version: str(getValue(root, "version")) ?? "0.0.0",
      description: str(getValue(root, "description")),
      sla: flowSla ?? "T1",
      slaSpan: getValue(root, "sla")?.span,
      trustMin: trustMin !== undefined && trustMin >= 0 && trustMin <= 1 ? trustMin : null,
      trustMinSpan: trustMinNode?.span,
      trustBelow,
      consentPurposes,
      trigger: this.trigger(),
      inputsSchema: this.inputsSchema(),
      outputs: {},
      steps: [],
      byId: new Map(),
      policies: [],
      sandboxOnly:
        getValue(root, "sandbox")?.kind === "scalar" &&
        (getValue(root, "sandbox") as AstScalar).value === true,
      rootSpan: root.span,
    };
    const stepsNode = getValue(root, "steps");
    if (stepsNode?.kind === "seq") {
      stepsNode.items.forEach((node, index) => {
        const step = this.step(node, index, model, flowSla);
        if (!step) return;
        if (model.byId.has(step.id)) {
          this.report("TF3020", step.idSpan, { id: step.id }, { stepId: step.id });
          return;
        }
        this.siteOwners.set(index, step);
        model.byId.set(step.id, step);
        model.steps.push(step);
      });
    }
    // Re-index after dropping duplicates/broken entries so `index` addresses `model.steps`.
    model.steps.forEach((s, i) => (s.index = i));
    const outputsNode = getValue(root, "outputs");
    if (outputsNode?.kind === "map") {
      for (const p of outputsNode.pairs) {
        model.outputs[p.key] = this.value(p.value, {
          owner: -1,
          target: undefined,
          targetPath: `outputs.${p.key}`,
          allowItem: false,
        });
      }
    }
    const policiesNode = getValue(root, "policies");
    if (policiesNode?.kind === "seq") {
      for (const item of policiesNode.items) {
        const v = str(item);
        if (v !== undefined) model.policies.push({ ref: v, span: item.span });
      }
    }
    this.checkRefs(model);
    this.graph(model);
    this.trust(model);
    this.addressing(model);
    return model;
  }

  private trigger(): TriggerIR {
    const t = getValue(this.root, "trigger");
    if (t?.kind !== "map") return { type: "manual" };
    const known = t.pairs.filter(
      (p) => p.key === "manual" || p.key === "webhook" || p.key === "schedule",
    );
    if (known.length !== 1 && t.pairs.length === known.length) {
      this.report("TF1014", known[1]?.keySpan ?? getPair(this.root, "trigger")!.keySpan, {
        count: known.length,
      });
    }
    const first = known[0];
    if (!first) return { type: "manual" };
    if (first.key === "webhook") {
      const event = str(getValue(first.value, "event"));
      const respond = str(getValue(first.value, "respond"));
      const w: TriggerIR = { type: "webhook" };
      if (event !== undefined) w.event = event;
      if (respond === "sync" || respond === "async") w.respond = respond;
      return w;
    }
    if (first.key === "schedule")
      return { type: "schedule", cron: str(getValue(first.value, "cron")) ?? "" };
    return { type: "manual" };
  }

  private inputsSchema(): JsonSchema {
    const node = getValue(this.root, "inputs");
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    if (node?.kind === "map") {
      for (const p of node.pairs) {
        if (!INPUT_NAME_RE.test(p.key))
          this.report("TF1015", p.keySpan, { value: p.key, what: "input" });
        const spec = astToJs(p.value);
        if (!spec || typeof spec !== "object" || Array.isArray(spec)) continue;
        const { required: req, ...schema } = spec as Record<string, unknown>;
        properties[p.key] = schema;
        if (req === true || (req === undefined && schema.default === undefined))
          required.push(p.key);
      }
    }
    return { type: "object", properties, required, additionalProperties: false };
  }

  private step(
    node: AstNode,
    index: number,
    flow: FlowModel,
    flowSla: SlaTier | undefined,
  ): StepModel | undefined {
    if (node.kind !== "map") return undefined;
    const idNode = getValue(node, "id");
    const id = str(idNode);
    if (id === undefined || id === "") return undefined;
    const usesNode = getValue(node, "uses");
    const uses = str(usesNode) ?? "";
    const idSpan = idNode!.span;
    const usesSpan = usesNode?.span ?? idSpan;
    let block: BlockDefinition | undefined;
    let major = 0;
    let broken = false;
    if (usesNode && uses.includes("@")) {
      const r = this.resolve(uses);
      if (!r) {
        broken = true;
      } else if (r.ok) {
        block = r.block;
        major = majorOf(block);
        if (r.deprecated) {
          const newest = safe(() => this.options.registry.get(block!.id));
          const newestRef =
            newest && newest.version !== block.version
              ? `${newest.id}@${newest.version.split(".")[0]}`
              : block.deprecated?.replacement;
          this.report(
            "TF3004",
            usesSpan,
            { detail: r.deprecated, newest: newestRef },
            { stepId: id },
          );
        }
      } else {
        broken = true;
        const code =
          r.reason === "unknown-block"
            ? "TF3001"
            : r.reason === "unknown-major"
              ? "TF3002"
              : "TF3003";
        this.report(code, usesSpan, { detail: r.message, hint: r.hint }, { stepId: id });
      }
    } else {
      broken = true;
    }
    const stepSla = tierOf(getValue(node, "sla"));
    const overrides: StepResilienceOverrides = {};
    const retry = astToJs(
      getValue(node, "retry") ?? { kind: "scalar", value: null, span: idSpan, quoted: false },
    );
    if (retry && typeof retry === "object" && !Array.isArray(retry))
      overrides.retry = retry as StepResilienceOverrides["retry"];
    const timeout = str(getValue(node, "timeout"));
    if (timeout !== undefined) overrides.timeout = timeout;
    const resilience = resolveResilience({ step: stepSla, flow: flowSla }, block, overrides);

    // Inputs: compile values, then check literals against the block's input schema.
    const withNode = getValue(node, "with");
    const entries: Record<string, CompiledValue> = {};
    const literalInputs: Record<string, unknown> = {};
    const inputSchema = block?.inputSchema;
    const isForeach = block?.id === "control.foreach";
    if (withNode?.kind === "map") {
      for (const p of withNode.pairs) {
        const target = inputSchema ? lookupFound(inputSchema, [p.key]) : undefined;
        if (block && isBareCel(block, [p.key], target)) {
          this.rule(p.value, index);
          entries[p.key] = literalOf(p.value);
        } else if (block && p.value.kind === "map" && isBareCel(block, [p.key, "*"], undefined)) {
          for (const q of p.value.pairs) this.rule(q.value, index);
          entries[p.key] = literalOf(p.value);
        } else {
          entries[p.key] = this.value(p.value, {
            owner: index,
            target,
            targetPath: `with.${p.key}`,
            allowItem: isForeach && p.key !== "items",
          });
          if (block) this.bareCelInList(block, p.key, p.value, index);
        }
        literalInputs[p.key] = astToJs(p.value);
      }
    }
    const inputs: CompiledObject = { kind: "object", entries };
    if (block && inputSchema)
      this.checkInputs(block, inputSchema, inputs, node, withNode, usesSpan, id);
    if (block?.kind === "agent" && withNode && Array.isArray(literalInputs.tools))
      this.checkTools(literalInputs.tools, withNode, id);

    // Condition.
    let condition: CompiledExpr | undefined;
    let conditionFalseSpan: Span | undefined;
    const ifNode = getValue(node, "if");
    if (ifNode?.kind === "scalar") {
      if (ifNode.value === false) {
        conditionFalseSpan = ifNode.span;
        condition = { kind: "expr", source: "false", refs: [] };
      } else if (ifNode.value === true) {
        condition = undefined;
      } else if (typeof ifNode.value === "string") {
        const v = ifNode.value;
        const scanned = scanString(v);
        const single = scanned.segments.length === 1 && scanned.segments[0]!.kind === "expr";
        const compiled = single
          ? this.value(ifNode, {
              owner: index,
              target: { type: "boolean" },
              targetPath: "if",
              allowItem: false,
            })
          : this.bareCel(ifNode, index);
        if (compiled?.kind === "expr") {
          condition = compiled;
          if (compiled.source.trim() === "false") conditionFalseSpan = ifNode.span;
        }
      }
    }

    // Compensation: the step's own, else the block's declared one.
    let compensate: StepModel["compensate"];
    const compNode = getValue(node, "compensate");
    const compUses = str(compNode);
    if (compUses !== undefined && compUses.includes("@")) {
      const r = this.resolve(compUses);
      if (r?.ok) {
        compensate = { uses: compUses, block: r.block };
        if (r.deprecated)
          this.report("TF3004", compNode!.span, { detail: r.deprecated }, { stepId: id });
      } else if (r) {
        const code =
          r.reason === "unknown-block"
            ? "TF3001"
            : r.reason === "unknown-major"
              ? "TF3002"
              : "TF3003";
        this.report(code, compNode!.span, { detail: r.message, hint: r.hint }, { stepId: id });
      }
      if (block && block.sideEffect !== "write")
        this.report("TF3050", compNode!.span, { id, block: block.id }, { stepId: id });
    } else if (compUses === undefined && block?.compensation) {
      const r = this.resolve(block.compensation);
      if (r?.ok) compensate = { uses: block.compensation, block: r.block };
    }

    // Trust, consent, model.
    const ownMin = num(getValue(getValue(node, "trust"), "min"));
    const ownTrustMin = ownMin !== undefined && ownMin >= 0 && ownMin <= 1 ? ownMin : null;
    const ownBelow = belowOf(getValue(getValue(node, "trust"), "below"));
    const consentNode = getValue(node, "consent");
    let consent: StepModel["consent"];
    const purposeNode = getValue(consentNode, "purpose");
    const purpose = str(purposeNode);
    if (purpose !== undefined) {
      consent = { purpose };
      const requireNode = getValue(consentNode, "require");
      const req = str(requireNode);
      if (req !== undefined) consent.require = req;
      const idNode = getValue(consentNode, "id");
      if (idNode?.kind === "scalar" && typeof idNode.value === "string" && idNode.value !== "")
        consent.id = this.value(idNode, {
          owner: index,
          target: { type: "string" },
          targetPath: "consent.id",
          allowItem: false,
        });
      else if (!idNode)
        this.consentSource(flow, id, purpose, req, requireNode, purposeNode!, withNode);
      if (!flow.consentPurposes.includes(purpose))
        this.report("TF3030", purposeNode!.span, { purpose }, { stepId: id });
    } else if (block?.consent && !consentNode) {
      this.report(
        "TF3031",
        usesSpan,
        { block: block.id, purpose: block.consent.purpose },
        { stepId: id },
      );
    }
    let modelIr: ModelIR | undefined;
    const modelNode = getValue(node, "model");
    if (modelNode?.kind === "map") {
      const m = astToJs(modelNode) as Record<string, unknown>;
      modelIr = {
        fallback: Array.isArray(m.fallback)
          ? m.fallback.filter((x): x is string => typeof x === "string")
          : [],
      };
      if (typeof m.route === "string") modelIr.route = m.route;
      if (typeof m.budget_usd === "number") modelIr.budgetUsd = m.budget_usd;
      if (m.preference === "cost" || m.preference === "latency" || m.preference === "quality")
        modelIr.preference = m.preference;
      if (block && block.kind !== "agent")
        this.report(
          "TF3051",
          getPair(node, "model")!.keySpan,
          { block: block.id, kind: block.kind },
          { stepId: id },
        );
    }
    const onErrorV = str(getValue(node, "on_error"));
    const onError: OnError =
      onErrorV === "continue" || onErrorV === "compensate" ? onErrorV : "fail";

    // Explicit needs.
    const explicitNeeds: StepModel["explicitNeeds"] = [];
    const needsNode = getValue(node, "needs");
    if (needsNode?.kind === "seq") {
      const seen = new Set<string>();
      for (const item of needsNode.items) {
        const n = str(item);
        if (n === undefined) continue;
        if (seen.has(n)) {
          this.report("TF3024", item.span, { id: n }, { stepId: id });
          continue;
        }
        seen.add(n);
        explicitNeeds.push({ id: n, span: item.span });
      }
    }

    const step: StepModel = {
      index,
      id,
      idSpan,
      usesSpan,
      uses,
      block,
      major,
      explicitNeeds,
      dataNeeds: new Map(),
      deps: [],
      inputs,
      literalInputs,
      condition,
      conditionFalseSpan,
      slaTier: stepSla,
      resilience,
      compensate,
      trustMin: ownTrustMin ?? flow.trustMin,
      ownTrustMin,
      trustBelow: ownBelow ?? flow.trustBelow,
      trust: 1,
      consent,
      model: modelIr,
      onError,
      description: str(getValue(node, "description")),
      broken,
    };
    return step;
  }

  /** `TF2011` for an expression over the static cost budget (`expr.ts#staticCost`). */
  private costly(a: CelAnalysis, source: string, base: number | undefined, fallback: Span): void {
    if (!a.costly) return;
    const shown = source.trim();
    this.report("TF2011", this.span(base, fallback, 0, source.length), {
      source: shown.length > 80 ? `${shown.slice(0, 77)}...` : shown,
      detail: a.costly.detail,
      hint: a.costly.hint,
    });
  }

  /** A `policy.check` rule: bare CEL (no `${{ }}`), validated and scanned for references. */
  private rule(node: AstNode, owner: number): void {
    if (node.kind !== "scalar" || typeof node.value !== "string") return;
    if (node.value.includes("${{")) {
      this.value(node, { owner, target: undefined, targetPath: "with.rule", allowItem: false });
      return;
    }
    this.bareCel(node, owner);
  }

  /**
   * Bare CEL in the items of a list input (`control.switch`'s `cases[].when`): checked like
   * `if:` (syntax, names, references, cost); the value stays the literal string the block
   * evaluates. A `${{ }}` there was compiled with the list's other values.
   */
  private bareCelInList(block: BlockDefinition, key: string, list: AstNode, owner: number): void {
    if (list.kind !== "seq") return;
    for (const [listKey, itemKey] of BARE_CEL_IN_LISTS[block.id] ?? []) {
      if (listKey !== key) continue;
      list.items.forEach((item, i) => {
        const v = item.kind === "map" ? getValue(item, itemKey) : undefined;
        if (v?.kind === "scalar" && typeof v.value === "string" && !v.value.includes("${{"))
          this.bareCel(v, owner, `with.${key}.${i}.${itemKey}`);
      });
    }
  }

  /** A string holding CEL without delimiters (`if:` shorthand, policy rules). */
  private bareCel(node: AstScalar, owner: number, targetPath = "if"): CompiledExpr | undefined {
    const source = String(node.value);
    const base = this.locate(node, source, 0);
    const a = analyzeCel(source);
    if (!a.ok) {
      this.syntaxError(a.error!.offset, a.error!.message, base, node.span, source.length);
      return undefined;
    }
    const compiled: CompiledExpr = {
      kind: "expr",
      source,
      refs: plainRefs(a.refs),
      span: base !== undefined ? { start: base, end: base + source.length } : node.span,
    };
    this.sites.push({
      compiled,
      refs: a.refs,
      base,
      fallback: node.span,
      owner,
      targetPath,
      whole: false,
      allowItem: false,
    });
    for (const u of a.unknownIdents)
      this.report("TF2003", this.span(base, node.span, u.start, u.end), { name: u.name });
    this.costly(a, source, base, node.span);
    return compiled;
  }

  private syntaxError(
    offset: number,
    message: string,
    base: number | undefined,
    fallback: Span,
    length: number,
  ): void {
    const o = Math.max(0, Math.min(offset, length));
    this.report("TF2001", this.span(base, fallback, o, Math.min(o + 1, Math.max(length, o))), {
      detail: message,
    });
  }

  private span(base: number | undefined, fallback: Span, start: number, end: number): Span {
    if (base === undefined) return fallback;
    return { start: base + start, end: base + Math.max(start, end) };
  }

  /**
   * The text offset where `value.slice(offset)` starts, when the scalar's source shows it
   * verbatim (plain scalars, quoted strings without escapes in the expression); else undefined.
   */
  private locate(
    node: AstScalar,
    value: string,
    offset: number,
    piece?: string,
  ): number | undefined {
    const raw = this.text.slice(node.span.start, node.span.end);
    if (!node.quoted && raw === value) return node.span.start + offset;
    const needle = piece ?? value;
    if (needle === "") return undefined;
    const i = raw.indexOf(needle);
    if (i === -1) return undefined;
    return node.span.start + i + (offset - (piece === undefined ? 0 : offset));
  }

  /** Compiles a `with:`/`outputs:` value, recording expression sites for reference checks. */
  private value(
    node: AstNode,
    ctx: { owner: number; target?: JsonSchema; targetPath: string; allowItem: boolean },
  ): CompiledValue {
    if (node.kind === "map") {
      const entries: Record<string, CompiledValue> = {};
      for (const p of node.pairs) {
        entries[p.key] = this.value(p.value, {
          ...ctx,
          target: ctx.target ? lookupFound(ctx.target, [p.key]) : undefined,
          targetPath: `${ctx.targetPath}.${p.key}`,
        });
      }
      return { kind: "object", entries };
    }
    if (node.kind === "seq") {
      return {
        kind: "array",
        items: node.items.map((x, i) =>
          this.value(x, {
            ...ctx,
            target: ctx.target ? lookupFound(ctx.target, [String(i)]) : undefined,
            targetPath: `${ctx.targetPath}.${i}`,
          }),
        ),
      };
    }
    const v = node.value;
    // `https://user:pass@host` written into a flow would be stored in every version and run: the
    // egress guard refuses it at run time; here the author learns it at the keystroke.
    if (typeof v === "string" && URL_CREDENTIALS.test(v))
      this.report("TF3052", node.span, { path: ctx.targetPath });
    if (typeof v !== "string" || !v.includes("${{")) return { kind: "literal", value: v };
    const scanned = scanString(v);
    if (scanned.unterminated !== undefined) {
      const at = this.locate(node, v, scanned.unterminated, v.slice(scanned.unterminated));
      this.report("TF2002", at !== undefined ? { start: at, end: at + 3 } : node.span);
    }
    const exprSegs = scanned.segments.filter((s) => s.kind === "expr");
    const whole = scanned.segments.length === 1 && exprSegs.length === 1;
    const parts: Array<{ kind: "text"; value: string } | CompiledExpr> = [];
    for (const seg of scanned.segments) {
      if (seg.kind === "text") {
        parts.push({ kind: "text", value: seg.value });
        continue;
      }
      const segStart = this.locate(node, v, seg.start, v.slice(seg.start, seg.end));
      const base = segStart !== undefined ? segStart + 3 : undefined;
      const a = analyzeCel(seg.source);
      if (!a.ok) {
        this.syntaxError(a.error!.offset, a.error!.message, base, node.span, seg.source.length);
        parts.push({ kind: "expr", source: seg.source, refs: [] });
        continue;
      }
      for (const u of a.unknownIdents)
        this.report("TF2003", this.span(base, node.span, u.start, u.end), { name: u.name });
      this.costly(a, seg.source, base, node.span);
      const compiled: CompiledExpr = {
        kind: "expr",
        source: seg.source,
        refs: plainRefs(a.refs),
        span: base !== undefined ? { start: base, end: base + seg.source.length } : node.span,
      };
      this.sites.push({
        compiled,
        refs: a.refs,
        base,
        fallback: node.span,
        owner: ctx.owner,
        target: ctx.target,
        targetPath: ctx.targetPath,
        whole,
        allowItem: ctx.allowItem,
      });
      parts.push(compiled);
    }
    if (whole) return parts[0] as CompiledExpr;
    if (ctx.target) {
      const t = schemaTypes(ctx.target);
      if (t.length > 0 && !t.includes("string")) {
        this.report("TF2007", node.span, {
          source: "template",
          got: "a string",
          target: ctx.targetPath,
          expected: t.join(" | "),
        });
      }
    }
    return { kind: "template", parts };
  }

  private checkInputs(
    block: BlockDefinition,
    schema: JsonSchema,
    inputs: CompiledObject,
    stepNode: AstMap,
    withNode: AstNode | undefined,
    usesSpan: Span,
    stepId: string,
  ): void {
    const validate = validatorFor(schema);
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
        this.report(
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
        this.report(
          "TF3011",
          span,
          { block: block.id, key: [...segs, prop].join(".") },
          { stepId },
        );
      } else if (seen.has(`${ip}|*`)) {
        continue;
      } else {
        seen.add(`${ip}|*`);
        const span = withNode ? spanAtPath(withNode, segs) : usesSpan;
        this.report(
          "TF3012",
          span,
          { path: segs.join(".") || "with", detail: ajvDetail(e) },
          { stepId },
        );
      }
    }
  }

  /** An agent step's `tools`: each must resolve and write nothing (writes are not tools yet). */
  private checkTools(tools: unknown[], withNode: AstNode, stepId: string): void {
    tools.forEach((ref, i) => {
      if (typeof ref !== "string" || !ref.includes("@")) return; // the input schema reports it
      const span = spanAtPath(withNode, ["tools", i]);
      const r = this.resolve(ref);
      if (!r) return;
      if (!r.ok) {
        const code =
          r.reason === "unknown-block"
            ? "TF3001"
            : r.reason === "unknown-major"
              ? "TF3002"
              : "TF3003";
        this.report(code, span, { detail: r.message, hint: r.hint }, { stepId });
      } else if (!isAgentToolBlock(r.block)) {
        this.report(
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

  /** Reference checks, after every step is known. */
  private checkRefs(flow: FlowModel): void {
    const declaredInputs = (flow.inputsSchema.properties ?? {}) as Record<string, JsonSchema>;
    for (const site of this.sites) {
      const ownerStep = site.owner >= 0 ? this.siteOwners.get(site.owner) : undefined;
      for (const ref of site.refs) {
        const span = this.span(site.base, site.fallback, ref.start, ref.end);
        let sourceSchema: JsonSchema | undefined;
        let known = true;
        if (ref.root === "inputs") {
          const name = ref.path[0];
          if (name === undefined) continue;
          const spec = declaredInputs[name];
          if (!spec) {
            this.report("TF2008", span, { name }, { stepId: ownerStep?.id });
            continue;
          }
          const r = schemaAtPath(spec, ref.path.slice(1));
          if (r.kind === "found") sourceSchema = r.schema;
          else known = false;
        } else if (ref.root === "item" || ref.root === "index") {
          if (!site.allowItem)
            this.report("TF2009", span, { name: ref.root }, { stepId: ownerStep?.id });
          continue;
        } else if (ref.root === "steps") {
          const id = ref.stepId;
          if (id === undefined) continue;
          const stepSpan =
            ref.stepStart !== undefined
              ? this.span(site.base, site.fallback, ref.stepStart, ref.stepEnd ?? ref.stepStart)
              : span;
          const target = flow.byId.get(id);
          if (!target) {
            this.report(
              "TF2004",
              stepSpan,
              { step: id, suggestion: suggest(id, flow.byId.keys()) },
              { stepId: ownerStep?.id },
            );
            continue;
          }
          if (ref.notOutput) {
            this.report("TF2010", span, { step: id }, { stepId: ownerStep?.id });
            continue;
          }
          if (ownerStep) {
            if (ownerStep.id === id) {
              this.report("TF2005", span, { from: id, step: id }, { stepId: id });
              continue;
            }
            const existing = ownerStep.dataNeeds.get(id);
            if (existing) existing.fields.add(ref.path.join("."));
            else ownerStep.dataNeeds.set(id, { span, fields: new Set([ref.path.join(".")]) });
          }
          const out = outputSchemaOf(target);
          if (!out) continue;
          const r = schemaAtPath(out, ref.path);
          if (r.kind === "unknown") {
            this.report(
              "TF2006",
              span,
              {
                path: `steps.${id}.output.${ref.path.slice(0, r.at + 1).join(".")}`,
                block: target.block?.id ?? target.uses,
                fields: r.known.slice(0, 12).join(", ") || undefined,
              },
              { stepId: ownerStep?.id },
            );
            continue;
          }
          if (r.kind === "found") sourceSchema = r.schema;
          else known = false;
        } else {
          continue;
        }
        if (
          known &&
          site.whole &&
          ref.whole &&
          site.refs.length === 1 &&
          site.target &&
          sourceSchema
        ) {
          const got = schemaTypes(sourceSchema);
          const expected = schemaTypes(site.target);
          if (!typesCompatible(got, expected)) {
            const src =
              ref.root === "steps"
                ? `steps.${ref.stepId}.output${ref.path.map((p) => `.${p}`).join("")}`
                : `${ref.root}.${ref.path.join(".")}`;
            this.report(
              "TF2007",
              span,
              {
                source: src,
                got: got.join(" | "),
                target: site.targetPath,
                expected: expected.join(" | "),
              },
              { stepId: ownerStep?.id },
            );
          }
        }
      }
    }
  }

  /** Builds dependencies, reports unknown needs, cycles and unreachable steps. */
  private graph(flow: FlowModel): void {
    const steps = flow.steps;
    const idx = new Map<string, number>();
    steps.forEach((s, i) => idx.set(s.id, i));
    const explicit: number[][] = steps.map(() => []);
    for (const s of steps) {
      for (const n of s.explicitNeeds) {
        const j = idx.get(n.id);
        if (j === undefined) {
          this.report(
            "TF3021",
            n.span,
            { id: n.id, suggestion: suggest(n.id, idx.keys()) },
            { stepId: s.id },
          );
          continue;
        }
        explicit[s.index]!.push(j);
      }
    }
    // "Used before it can have run": a data reference to a step that (explicitly) depends on the
    // reader. Checked per referenced pair with a topological index to prune (linear in practice).
    const topo = topoOrder(explicit);
    const deps: number[][] = explicit.map((e) => [...e]);
    for (const s of steps) {
      for (const [id, ref] of s.dataNeeds) {
        const j = idx.get(id)!;
        if (topo && dependsOn(j, s.index, explicit, topo.position)) {
          this.report("TF2005", ref.span, { from: s.id, step: id }, { stepId: s.id });
          s.dataNeeds.delete(id);
          continue;
        }
        deps[s.index]!.push(j);
      }
    }
    for (const s of steps) s.deps = [...new Set(deps[s.index]!)].sort((a, b) => a - b);
    const full = topoOrder(steps.map((s) => s.deps));
    if (!full) {
      for (const cycle of findCycles(steps.map((s) => s.deps))) {
        const first = steps[cycle[0]!]!;
        const next = cycle[1] ?? cycle[0]!;
        const nextId = steps[next]!.id;
        const need = first.explicitNeeds.find((n) => n.id === nextId);
        const span = need?.span ?? first.dataNeeds.get(nextId)?.span ?? first.idSpan;
        this.report(
          "TF3022",
          span,
          { cycle: [...cycle, cycle[0]!].map((i) => steps[i]!.id).join(" -> ") },
          { stepId: first.id },
        );
      }
      return;
    }
    flow.order = full.order;
    // Unreachable: `if` literally false, or depending on a step that never runs.
    const never = new Array<string | null>(steps.length).fill(null);
    for (const i of full.order) {
      const s = steps[i]!;
      if (s.conditionFalseSpan) {
        never[i] = s.id;
        this.report("TF3023", s.conditionFalseSpan, { id: s.id }, { stepId: s.id });
        continue;
      }
      const via = s.deps.find((d) => never[d] !== null);
      if (via !== undefined) {
        never[i] = s.id;
        this.report("TF3023", s.idSpan, { id: s.id, via: steps[via]!.id }, { stepId: s.id });
      }
    }
  }

  /**
   * A consent-requiring step without `consent.id`: its consent id must come from somewhere the
   * engine looks (`require`, else `consentId` / `consent_id`): a declared flow input or one of the
   * step's `with` inputs. Otherwise every run would fail closed: `TF3032`.
   */
  private consentSource(
    flow: FlowModel,
    id: string,
    purpose: string,
    field: string | undefined,
    fieldNode: AstNode | undefined,
    purposeNode: AstNode,
    withNode: AstNode | undefined,
  ): void {
    const declared = (flow.inputsSchema.properties ?? {}) as Record<string, unknown>;
    const withKeys = withNode?.kind === "map" ? withNode.pairs.map((p) => p.key) : [];
    const fields = field !== undefined ? [field] : ["consentId", "consent_id"];
    if (fields.some((f) => Object.hasOwn(declared, f) || withKeys.includes(f))) return;
    this.report(
      "TF3032",
      field !== undefined && fieldNode ? fieldNode.span : purposeNode.span,
      { id, purpose, field },
      { stepId: id },
    );
  }

  /**
   * Trust gates. A step's score is the trust provider's, else its block's baseline; the flow's is
   * its lowest step's. Under a minimum: `TF3040` (step) / `TF3041` (flow), an error when the gate
   * halts (`below: halt`, the default), a warning when it asks for an approval.
   */
  private trust(flow: FlowModel): void {
    const provider = this.options.trust;
    const forced = this.options.trustSeverity;
    const severityOf = (below: TrustBelow) =>
      forced ?? (below === "approval" ? "warning" : "error");
    let lowest: StepModel | undefined;
    for (const s of flow.steps) {
      if (!s.block) continue;
      const score =
        safe(() => provider?.stepScore?.(flow.name, s.id)) ??
        safe(() => provider?.blockScore(s.block!.id)) ??
        s.block.baselineTrust;
      s.trust = typeof score === "number" && Number.isFinite(score) ? score : s.block.baselineTrust;
      if (!lowest || s.trust < lowest.trust) lowest = s;
      if (s.ownTrustMin !== null && s.trust < s.ownTrustMin) {
        this.report(
          "TF3040",
          s.idSpan,
          { id: s.id, score: s.trust, min: s.ownTrustMin, below: s.trustBelow },
          { severity: severityOf(s.trustBelow), stepId: s.id },
        );
      }
    }
    if (lowest && flow.trustMin !== null && lowest.trust < flow.trustMin) {
      this.report(
        "TF3041",
        flow.trustMinSpan ?? flow.rootSpan,
        { score: lowest.trust, id: lowest.id, min: flow.trustMin, below: flow.trustBelow },
        { severity: severityOf(flow.trustBelow), stepId: lowest.id },
      );
    }
  }

  /**
   * Approvals and forms address people: `role:` (a workspace role: the input schema checks it),
   * `group:` or `users:`. With a directory, an unknown group or member is `TF3060`. Literal
   * values only: an expression is resolved at run time.
   */
  private addressing(flow: FlowModel): void {
    const dir = this.options.directory;
    if (!dir) return;
    const groups = new Set(dir.groups);
    const users = new Set(dir.users.map((u) => u.toLowerCase()));
    for (const s of flow.steps) {
      const key = s.block ? ADDRESSING_INPUTS[s.block.id] : undefined;
      if (!key) continue;
      const value = s.literalInputs[key];
      if (!value || typeof value !== "object" || Array.isArray(value)) continue;
      const a = value as Record<string, unknown>;
      const withNode = this.withNodeOf(s);
      const at = (path: Array<string | number>) =>
        withNode ? spanAtPath(withNode, [key, ...path]) : s.usesSpan;
      if (typeof a.group === "string" && !isExpression(a.group) && !groups.has(a.group)) {
        this.report(
          "TF3060",
          at(["group"]),
          {
            kind: "group",
            path: `${key}.group`,
            name: a.group,
            suggestion: suggest(a.group, groups),
          },
          { stepId: s.id },
        );
      }
      if (Array.isArray(a.users)) {
        a.users.forEach((u, i) => {
          if (typeof u !== "string" || isExpression(u) || users.has(u.toLowerCase())) return;
          this.report(
            "TF3060",
            at(["users", i]),
            { kind: "user", path: `${key}.users`, name: u, suggestion: suggest(u, dir.users) },
            { stepId: s.id },
          );
        });
      }
    }
  }

  /** The `with:` node of a step (for spans of its literal inputs). */
  private withNodeOf(step: StepModel): AstNode | undefined {
    const stepsNode = getValue(this.root, "steps");
    if (stepsNode?.kind !== "seq") return undefined;
    for (const [i, owner] of this.siteOwners)
      if (owner === step) return getValue(stepsNode.items[i], "with");
    return undefined;
  }
}

/**
 * Inputs that hold bare CEL (no `${{ }}`), evaluated by the block at run time: validated for
 * syntax and scanned for references at compile time, passed to the block as literal strings.
 * A block opts in with `format: "cel"` on the input's schema; three primitives are known by name.
 */
const BARE_CEL_INPUTS: Record<string, string[]> = {
  "control.branch": ["condition"],
  "policy.check": ["rule"],
  "data.transform": ["fields.*"],
};

/**
 * Bare CEL in the items of a list input: `[list, key]` pairs, so `cases[].when` of
 * `control.switch` (the block evaluates each case's `when` in order).
 */
export const BARE_CEL_IN_LISTS: Record<string, ReadonlyArray<readonly [string, string]>> = {
  "control.switch": [["cases", "when"]],
};

export function isBareCel(
  block: BlockDefinition,
  path: string[],
  schema: JsonSchema | undefined,
): boolean {
  if (schema?.format === "cel") return true;
  return BARE_CEL_INPUTS[block.id]?.includes(path.join(".")) ?? false;
}

const majors = new WeakMap<BlockDefinition, number>();

/** The major of a block's version (memoised: every step of a block asks). */
function majorOf(block: BlockDefinition): number {
  let m = majors.get(block);
  if (m === undefined) {
    m = Number(block.version.split(".")[0]);
    majors.set(block, m);
  }
  return m;
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** IR refs: fresh objects and arrays (the analyses they come from are cached and shared). */
function plainRefs(refs: LocatedRef[]): ExprRef[] {
  return refs.map(({ root, stepId, path }) =>
    stepId === undefined ? { root, path: path.slice() } : { root, stepId, path: path.slice() },
  );
}

function literalOf(node: AstNode): CompiledValue {
  if (node.kind === "scalar") return { kind: "literal", value: node.value };
  if (node.kind === "seq") return { kind: "array", items: node.items.map(literalOf) };
  const entries: Record<string, CompiledValue> = {};
  for (const p of node.pairs) entries[p.key] = literalOf(p.value);
  return { kind: "object", entries };
}

function lookupFound(schema: JsonSchema, path: string[]): JsonSchema | undefined {
  const r = schemaAtPath(schema, path);
  return r.kind === "found" ? r.schema : undefined;
}

/** The output schema of a step: an agent's literal `with.output` schema refines an open one. */
function outputSchemaOf(step: StepModel): JsonSchema | undefined {
  const block = step.block;
  if (!block) return undefined;
  if (block.kind === "agent") {
    const o = step.literalInputs.output;
    if (
      o &&
      typeof o === "object" &&
      !Array.isArray(o) &&
      typeof (o as JsonSchema).type === "string" &&
      !JSON.stringify(o).includes("${{")
    ) {
      return o as JsonSchema;
    }
  }
  return block.outputSchema;
}

const EXPR_PLACEHOLDER = "\u0000expr";

/** A URL with user info (`scheme://user[:password]@host`) anywhere in a string. */
const URL_CREDENTIALS = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/?#@]+@/i;

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

/**
 * Kahn's algorithm with ties broken by source order (a binary heap): deterministic. `deps[i]`
 * lists what `i` needs. Returns undefined on a cycle.
 */
export function topoOrder(deps: number[][]): { order: number[]; position: Int32Array } | undefined {
  const n = deps.length;
  const indegree = new Int32Array(n);
  const dependents: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    for (const d of deps[i]!) {
      indegree[i]!++;
      dependents[d]!.push(i);
    }
  }
  const heap: number[] = [];
  const push = (x: number) => {
    heap.push(x);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p]! <= x) break;
      heap[i] = heap[p]!;
      i = p;
    }
    heap[i] = x;
  };
  const pop = (): number => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= heap.length) break;
        const r = l + 1;
        const c = r < heap.length && heap[r]! < heap[l]! ? r : l;
        if (heap[c]! >= last) break;
        heap[i] = heap[c]!;
        i = c;
      }
      heap[i] = last;
    }
    return top;
  };
  for (let i = 0; i < n; i++) if (indegree[i] === 0) push(i);
  const order: number[] = [];
  const position = new Int32Array(n);
  while (heap.length > 0) {
    const x = pop();
    position[x] = order.length;
    order.push(x);
    for (const y of dependents[x]!) if (--indegree[y]! === 0) push(y);
  }
  return order.length === n ? { order, position } : undefined;
}

/** Whether `a` depends (transitively) on `b`; prunes by topological position. */
function dependsOn(a: number, b: number, deps: number[][], position: Int32Array): boolean {
  if (position[a]! < position[b]!) return false;
  const stack = [a];
  const seen = new Set<number>([a]);
  while (stack.length > 0) {
    const x = stack.pop()!;
    for (const d of deps[x]!) {
      if (d === b) return true;
      if (seen.has(d) || position[d]! < position[b]!) continue;
      seen.add(d);
      stack.push(d);
    }
  }
  return false;
}

/** One representative cycle per strongly connected component (Tarjan, iterative). */
export function findCycles(deps: number[][]): number[][] {
  const n = deps.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const cycles: number[][] = [];
  let counter = 0;
  for (let s = 0; s < n; s++) {
    if (index[s] !== -1) continue;
    const work: Array<[number, number]> = [[s, 0]];
    index[s] = low[s] = counter++;
    stack.push(s);
    onStack[s] = 1;
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const [v, i] = top;
      const edges = deps[v]!;
      if (i < edges.length) {
        top[1]++;
        const w = edges[i]!;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          work.push([w, 0]);
        } else if (onStack[w]) {
          low[v] = Math.min(low[v]!, index[w]!);
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]![0];
        low[parent] = Math.min(low[parent]!, low[v]!);
      }
      if (low[v] === index[v]) {
        const comp: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          comp.push(w);
        } while (w !== v);
        if (comp.length > 1 || deps[v]!.includes(v)) cycles.push(cycleIn(comp, deps));
      }
    }
  }
  return cycles.sort((a, b) => a[0]! - b[0]!);
}

/** A simple cycle inside one strongly connected component, starting at its first step. */
function cycleIn(comp: number[], deps: number[][]): number[] {
  const members = new Set(comp);
  const start = Math.min(...comp);
  const parent = new Map<number, number>();
  const queue = [start];
  const seen = new Set([start]);
  while (queue.length > 0) {
    const x = queue.shift()!;
    for (const d of deps[x]!) {
      if (!members.has(d)) continue;
      if (d === start) {
        const path = [x];
        let p = x;
        while (p !== start) {
          p = parent.get(p)!;
          path.push(p);
        }
        return path.reverse();
      }
      if (!seen.has(d)) {
        seen.add(d);
        parent.set(d, x);
        queue.push(d);
      }
    }
  }
  return [start];
}

/**
 * Runs the structural (zod) and semantic checks over a parsed AST. Never throws.
 */
export function analyze(
  text: string,
  ast: AstNode,
  options: CompileOptions,
): { model?: FlowModel; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const parsed = ZFlowDocument.safeParse(astToJs(ast));
  if (!parsed.success) diagnostics.push(...structuralDiagnostics(ast, parsed.error.issues));
  if (ast.kind !== "map") return { diagnostics };
  const a = new Analyzer(text, ast, options);
  const model = a.run();
  diagnostics.push(...a.diagnostics);
  return { model, diagnostics };
}
