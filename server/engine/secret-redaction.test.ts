import { describe, expect, it } from "vitest";
import { REDACTED } from "./redact";
import { redactCheckpoint, secretValuesOf, usesSecrets } from "./secret-redaction";
import { compileFlow, harness } from "./testing/harness";

const SECRET = "tok_9c1f5e2a7b3d";

const USES = `flow: reads-secret
version: 1.0.0
sla: T2
steps:
  - id: shape
    uses: data.transform@1
    with:
      fields:
        auth: "'Bearer ' + secrets.apiKey"
        length: "size(secrets.apiKey)"
  - id: fail
    uses: data.transform@1
    needs: [shape]
    with:
      fields:
        boom: "secrets.apiKey + 1"
outputs:
  auth: \${{ steps.shape.output.auth }}
`;

const PLAIN = `flow: no-secret
version: 1.0.0
sla: T2
steps:
  - id: only
    uses: data.transform@1
    with:
      fields: { ok: "'yes'" }
`;

describe("secret redaction in the engine", () => {
  it("a flow that reads secrets gets the values; the store, events and ledger get the marker", async () => {
    const loads: string[] = [];
    const h = harness({
      secrets: (workspaceId) => {
        loads.push(workspaceId);
        return { apiKey: SECRET };
      },
    });
    const id = await h.start(compileFlow(USES));
    await h.drain();
    expect(loads).toHaveLength(1);
    const attempts = await h.store.listAttempts(id);
    const shape = attempts.find((a) => a.stepId === "shape");
    // Evaluated with the real value (its length), stored redacted.
    expect(shape?.output).toEqual({ auth: `Bearer ${REDACTED}`, length: SECRET.length });
    const stored = JSON.stringify({
      attempts,
      events: await h.store.listEvents(id),
      run: await h.store.getRun(id),
      deadLetters: await h.store.listDeadLetters({ runId: id }),
      audit: h.audit.entries,
    });
    expect(stored).not.toContain(SECRET);
  });

  it("a flow that does not read secrets never loads them", async () => {
    let loads = 0;
    const h = harness({
      secrets: () => {
        loads++;
        return { apiKey: SECRET };
      },
    });
    await h.start(compileFlow(PLAIN));
    await h.drain();
    expect(loads).toBe(0);
    expect(usesSecrets(compileFlow(PLAIN))).toBe(false);
    expect(usesSecrets(compileFlow(USES))).toBe(true);
  });

  it("redacts every data field of a checkpoint and leaves ids alone", () => {
    const cp = redactCheckpoint(
      {
        attempts: [
          {
            runId: "r1",
            stepId: "s1",
            attempt: 1,
            status: "succeeded",
            blockId: "http.request",
            inputs: { h: SECRET },
            output: [SECRET],
            error: null,
            classification: null,
            idempotencyKey: "k",
            consentId: null,
            startedAt: 1,
            finishedAt: 2,
            durationMs: 1,
            retryAt: null,
            finishSeq: null,
            workerId: null,
          },
        ],
        finish: {
          runId: "r1",
          stepId: "s2",
          attempt: 1,
          status: "failed",
          error: { name: "E", message: `bad ${SECRET}`, retryable: false } as never,
          finishedAt: 3,
        },
        events: [{ type: "step.failed", stepId: "s2", data: { message: SECRET }, at: 3 }],
        tasks: [
          {
            id: "t",
            runId: "r1",
            stepId: null,
            kind: "child",
            dueAt: 1,
            payload: SECRET,
            createdAt: 1,
          },
        ],
        run: { status: "failed", output: { x: SECRET }, error: null },
        audit: [{ action: "run.failed", payload: { error: SECRET } }],
      },
      secretValuesOf({ apiKey: SECRET, n: 3 }),
    );
    expect(JSON.stringify(cp)).not.toContain(SECRET);
    expect(cp.attempts?.[0]).toMatchObject({ runId: "r1", stepId: "s1", idempotencyKey: "k" });
  });
});
