/**
 * Trust, consent and addressing: trust scores compared with their gates (`TF3040`, `TF3041`),
 * a consent id's source checked (`TF3032`), and, with a directory, the groups and members
 * approvals and forms address (`TF3060`).
 */
import { getValue, spanAtPath, type AstNode } from "../parse";
import type { Analysis } from "./context";
import type { FlowModel, StepModel } from "./model";
import { ADDRESSING_INPUTS, type TrustBelow } from "./options";
import { isExpression, safe } from "./read";
import { suggest } from "./suggest";

/**
 * A consent-requiring step without `consent.id`: its consent id must come from somewhere the
 * engine looks (`require`, else `consentId` / `consent_id`): a declared flow input or one of the
 * step's `with` inputs. Otherwise every run would fail closed: `TF3032`.
 */
export function checkConsentSource(
  a: Analysis,
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
  a.report(
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
export function checkTrust(a: Analysis, flow: FlowModel): void {
  const provider = a.options.trust;
  const forced = a.options.trustSeverity;
  const severityOf = (below: TrustBelow) => forced ?? (below === "approval" ? "warning" : "error");
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
      a.report(
        "TF3040",
        s.idSpan,
        { id: s.id, score: s.trust, min: s.ownTrustMin, below: s.trustBelow },
        { severity: severityOf(s.trustBelow), stepId: s.id },
      );
    }
  }
  if (lowest && flow.trustMin !== null && lowest.trust < flow.trustMin) {
    a.report(
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
export function checkAddressing(a: Analysis, flow: FlowModel): void {
  const dir = a.options.directory;
  if (!dir) return;
  const groups = new Set(dir.groups);
  const users = new Set(dir.users.map((u) => u.toLowerCase()));
  for (const s of flow.steps) {
    const key = s.block ? ADDRESSING_INPUTS[s.block.id] : undefined;
    if (!key) continue;
    const value = s.literalInputs[key];
    if (!value || typeof value !== "object" || Array.isArray(value)) continue;
    const addr = value as Record<string, unknown>;
    const withNode = withNodeOf(a, s);
    const at = (path: Array<string | number>) =>
      withNode ? spanAtPath(withNode, [key, ...path]) : s.usesSpan;
    if (typeof addr.group === "string" && !isExpression(addr.group) && !groups.has(addr.group)) {
      a.report(
        "TF3060",
        at(["group"]),
        {
          kind: "group",
          path: `${key}.group`,
          name: addr.group,
          suggestion: suggest(addr.group, groups),
        },
        { stepId: s.id },
      );
    }
    if (Array.isArray(addr.users)) {
      addr.users.forEach((u, i) => {
        if (typeof u !== "string" || isExpression(u) || users.has(u.toLowerCase())) return;
        a.report(
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
function withNodeOf(a: Analysis, step: StepModel): AstNode | undefined {
  const stepsNode = getValue(a.root, "steps");
  if (stepsNode?.kind !== "seq") return undefined;
  for (const [i, owner] of a.siteOwners)
    if (owner === step) return getValue(stepsNode.items[i], "with");
  return undefined;
}
