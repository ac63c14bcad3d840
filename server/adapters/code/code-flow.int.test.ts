/**
 * `code.js` steps in real runs on the server's engine (issue 16, item 5): the step's output is
 * the code's result and log lines, a later step reads it, and a runaway step fails the run with
 * a clear error, once (no retry of a deterministic failure).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import { engineFor, runToEnd, type FlowIr } from "@/server/testing/engine";
import { makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";

let db: Database;
let workspaceId: string;

function ir(text: string): FlowIr {
  const r = compileFlow(text);
  if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return r.ir;
}

beforeAll(async () => {
  db = await openTestDatabase();
  workspaceId = (await makeUser(db.prisma)).workspace.id;
});
afterAll(() => db?.close());

describe("code.js in runs", () => {
  it("computes a step's output in the sandbox, and the next step reads it", async () => {
    const flow = ir(`
flow: code-total
version: 1.0.0
inputs:
  lines: { type: array }
steps:
  - id: total
    uses: code.js@1
    with:
      source: |
        console.log("lines", inputs.lines.length);
        return inputs.lines.reduce((s, l) => s + l.qty * l.price, 0);
      inputs:
        lines: \${{ inputs.lines }}
  - id: shape
    uses: data.transform@1
    needs: [total]
    with:
      fields: { total: "steps.total.output.result" }
`);
    const engine = engineFor(db);
    const run = await runToEnd(engine, {
      workspaceId,
      ir: flow,
      inputs: {
        lines: [
          { qty: 2, price: 5 },
          { qty: 1, price: 7 },
        ],
      },
    });
    expect(run.status).toBe("succeeded");
    const attempts = await engine.deps.store.listAttempts(run.id);
    const total = attempts.find((a) => a.stepId === "total")!;
    expect(total.output).toEqual({ result: 17, logs: ["lines 2"] });
    expect(attempts.find((a) => a.stepId === "shape")!.output).toMatchObject({ total: 17 });
  });

  it("fails a runaway step once, with the deadline in its error", async () => {
    const flow = ir(`
flow: code-loop
version: 1.0.0
steps:
  - id: spin
    uses: code.js@1
    with:
      source: "while (true) {}"
      timeoutMs: 100
`);
    const engine = engineFor(db);
    const run = await runToEnd(engine, { workspaceId, ir: flow });
    expect(run.status).toBe("failed");
    const attempts = (await engine.deps.store.listAttempts(run.id)).filter(
      (a) => a.stepId === "spin",
    );
    expect(attempts).toHaveLength(1);
    expect(JSON.stringify(attempts[0]!.error)).toMatch(/deadline/);
  });
});
