/**
 * code.js through the production server (issue 16): the code runs in the server's QuickJS thread
 * pool, and its result and log lines reach the run like any step's. The pool's worker script is
 * loaded by path at run time, so only a production build shows that it is found.
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "../fixtures";
import { mutate, query } from "../support/api";

const flowText = (suffix: string) => `flow: code-${suffix}
version: 1.0.0
trigger:
  manual: {}
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
outputs:
  total: \${{ steps.total.output.result }}
`;

interface RunData {
  status: string;
  output: { total?: number } | null;
  error: { message: string } | null;
}

test.describe("code blocks", () => {
  test("a code.js step computes its result in the sandbox of the production server", async ({
    page,
    signedInUser: _user,
  }) => {
    const suffix = randomUUID().slice(0, 6);
    const dsl = flowText(suffix);
    const wf = await mutate<{ id: string }>(page.request, "workflow.create", {
      name: `Code ${suffix}`,
      dsl,
    });
    await mutate(page.request, "workflow.createVersion", { id: wf.id, version: "1.0.0", dsl });
    const run = await mutate<{ id: string }>(page.request, "run.start", {
      workflowId: wf.id,
      version: "1.0.0",
      inputs: {
        lines: [
          { qty: 2, price: 5 },
          { qty: 1, price: 7 },
        ],
      },
    });
    let last: RunData | null = null;
    await expect
      .poll(
        async () => {
          last = await query<RunData>(page.request, "run.get", { id: run.id });
          return last.status;
        },
        { timeout: 45_000, intervals: [100, 250, 500] },
      )
      .toMatch(/^(succeeded|failed)$/);
    expect(last!.error?.message ?? null, "the step's error").toBeNull();
    expect(last!.status).toBe("succeeded");
    expect(last!.output).toEqual({ total: 17 });
  });
});
