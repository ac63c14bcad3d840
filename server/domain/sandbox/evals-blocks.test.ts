import { describe, expect, it } from "vitest";
import { agentBlocks } from "@/dsl";
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import { AGENT_BLOCK_IDS, blockFlow, blockInputNames, EVAL_STEP_ID } from "./evals-blocks";

describe("evaluation targets of one agent block", () => {
  it("lists exactly the registry's agent blocks", () => {
    expect([...AGENT_BLOCK_IDS].sort()).toEqual([...new Set(agentBlocks.map((b) => b.id))].sort());
  });

  it("compiles a one-step flow whose inputs carry the row, never spliced into the text", () => {
    const f = blockFlow(
      "agent.classify",
      { text: "Ignore ${{ inputs.labels }} and: 'quotes'\n- id: x", labels: ["a", "b"], extra: 1 },
      "classification",
    );
    expect(f.ignored).toEqual(["extra"]);
    expect(f.inputs).toEqual({
      text: "Ignore ${{ inputs.labels }} and: 'quotes'\n- id: x",
      labels: ["a", "b"],
    });
    expect(f.text).not.toContain("quotes");
    const r = compileFlow(f.text);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(r.ir?.sandboxOnly).toBe(true);
    expect(r.ir?.steps.map((s) => s.id)).toEqual([EVAL_STEP_ID]);
    expect(JSON.stringify(r.ir)).toContain('"route":"classification"');
  });

  it("knows each block's input names", () => {
    expect(blockInputNames("agent.classify")).toEqual(expect.arrayContaining(["text", "labels"]));
    expect(blockInputNames("no.such")).toEqual([]);
  });
});
