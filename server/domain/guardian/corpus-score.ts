/**
 * Scores the guardian on its labelled corpus (`corpus.ts`): grouping purity, classes mixed in a
 * group, triage accuracy, proposals per class, and for the data classes whether the patched
 * mapping evaluates on each recorded failing input. Shared by the corpus test and the benchmark.
 */
import { astToJs, compileCel, evaluate, parseFlow } from "@/dsl";
import { validatorFor } from "@/server/engine/runtimes/support";
import { compileFlow } from "../workflow/compile-flow";
import { fingerprint } from "./fingerprint";
import { groupAll } from "./grouping";
import { proposeFixes, type ProposalDraft } from "./proposals";
import { triage, type TriageClass } from "./triage";
import { buildCorpus, EXPECTED_CLASS, type LabelledFailure, type Planted } from "./corpus";

export interface CorpusScore {
  failures: number;
  flows: number;
  groups: number;
  /** Σ over groups of the largest planted class's share, weighted by size. */
  purity: number;
  mixedGroups: number;
  /** Failures whose group's triage class is the expected one. */
  triageCorrect: number;
  perClass: Record<
    Planted,
    { failures: number; groups: number; triaged: number; withProposal: number; proposals: number }
  >;
  /** Data-class failures whose patched mapping evaluates without error on their recorded input. */
  dataFixed: { fixed: number; of: number };
  /**
   * Bad-input failures whose input a proposal's stricter input schema refuses, while it accepts
   * every input of the flow's successful runs.
   */
  inputFixed: { fixed: number; of: number };
  sample: { planted: Planted; class: TriageClass; proposals: ProposalDraft[] }[];
}

function shapeFields(text: string): Record<string, string> {
  const { ast } = parseFlow(text);
  const doc = (ast ? astToJs(ast) : {}) as {
    steps?: Array<{ id: string; with?: { fields?: Record<string, string> } }>;
  };
  return doc.steps?.find((s) => s.id === "shape")?.with?.fields ?? {};
}

/** Whether every `shape` field of `text` evaluates on the failure's upstream output. */
function mappingPasses(text: string, f: LabelledFailure): boolean {
  const up = f.record.upstream;
  if (!up) return false;
  try {
    // As the engine evaluates `data.transform`'s fields: bare CEL with the run's context.
    for (const src of Object.values(shapeFields(text))) {
      const program = compileCel(src);
      if (!program) return false;
      evaluate(program, { inputs: {}, steps: { [up.stepId]: { output: up.output } } });
    }
    return true;
  } catch {
    return false;
  }
}

/** Whether `text`'s input schema refuses `failing` and accepts every one of `succeeded`. */
function refusesOnly(
  text: string,
  failing: Record<string, unknown>,
  succeeded: readonly Record<string, unknown>[],
): boolean {
  const ir = compileFlow(text).ir;
  if (!ir) return false;
  const valid = validatorFor(ir.inputsSchema);
  return !valid(failing) && succeeded.every((i) => valid(i));
}

/**
 * Runs the corpus through grouping, triage and proposals.
 *
 * @example
 * const s = scoreCorpus(18); // s.purity ≥ 0.95
 */
export function scoreCorpus(seed = 18): CorpusScore {
  const { flows, failures } = buildCorpus(seed);
  const fps = failures.map((f) => fingerprint(f.record));
  const index = new Map(fps.map((fp, i) => [fp, i]));
  const groups = groupAll(fps, []);
  const flowById = new Map(flows.map((f) => [f.workflowId, f]));
  const perClass = Object.fromEntries(
    Object.keys(EXPECTED_CLASS).map((k) => [
      k,
      { failures: 0, groups: 0, triaged: 0, withProposal: 0, proposals: 0 },
    ]),
  ) as CorpusScore["perClass"];
  let pure = 0;
  let mixed = 0;
  let correct = 0;
  const dataFixed = { fixed: 0, of: 0 };
  const inputFixed = { fixed: 0, of: 0 };
  const sample: CorpusScore["sample"] = [];
  const compile = (text: string) => compileFlow(text);
  for (const g of groups) {
    const members = g.members.map((fp) => failures[index.get(fp)!]!);
    const counts = new Map<Planted, number>();
    for (const m of members) counts.set(m.planted, (counts.get(m.planted) ?? 0) + 1);
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]!;
    pure += top[1];
    if (counts.size > 1) mixed++;
    const t = triage(members.map((m) => m.record));
    const flow = flowById.get(members[0]!.record.workflowId!)!;
    const failingInputs = members.flatMap((m) => (m.inputs ? [m.inputs] : []));
    const proposals = proposeFixes(t, members[0]!.record, {
      text: flow.text,
      version: flow.version,
      compile,
      inputs: { failing: failingInputs, succeeded: flow.succeededInputs },
    });
    const c = perClass[top[0]];
    c.groups++;
    c.proposals += proposals.length;
    for (const m of members) {
      perClass[m.planted].failures++;
      if (t.class === EXPECTED_CLASS[m.planted]) {
        correct++;
        perClass[m.planted].triaged++;
      }
      if (proposals.length) perClass[m.planted].withProposal++;
      if (m.planted === "schema-drift" || m.planted === "bad-mapping") {
        dataFixed.of++;
        if (proposals.some((p) => mappingPasses(p.text, m))) dataFixed.fixed++;
      }
      if (m.planted === "bad-input" && m.inputs) {
        inputFixed.of++;
        if (proposals.some((p) => refusesOnly(p.text, m.inputs!, flow.succeededInputs)))
          inputFixed.fixed++;
      }
    }
    if (sample.length < 40) sample.push({ planted: top[0], class: t.class, proposals });
  }
  return {
    failures: failures.length,
    flows: flows.length,
    groups: groups.length,
    purity: pure / failures.length,
    mixedGroups: mixed,
    triageCorrect: correct / failures.length,
    perClass,
    dataFixed,
    inputFixed,
    sample,
  };
}
