import { describe, expect, it } from "vitest";
import type { AttemptFinish } from "./types";
import type { BlockRuntime, Checkpoint } from "./ports";
import {
  answerCollector,
  buildAnswer,
  capAnswer,
  MAX_ANSWER_BYTES,
  MAX_ANSWER_PARTS,
  recordedAnswerKind,
  utf8Length,
} from "./recorded-answer";
import { REDACTED } from "./redact";
import { redactCheckpoint } from "./secret-redaction";
import { compileFlow, harness } from "./testing/harness";

describe("recorded answers: the 256 KB cap", () => {
  it("keeps an answer up to the cap as it is, with its size", () => {
    const body = { ok: true, output: { name: "Ada", note: "é" } };
    const c = capAnswer(body);
    expect(c).toEqual({ answer: body, bytes: utf8Length(JSON.stringify(body)), truncated: false });
    expect(c.bytes).toBe(Buffer.byteLength(JSON.stringify(body)));
  });

  it("stores a bigger one truncated, with a marker, its full size and at most 256 KB of text", () => {
    const body = { ok: true, output: { blob: "x".repeat(MAX_ANSWER_BYTES + 10) } };
    const c = capAnswer(body);
    const full = Buffer.byteLength(JSON.stringify(body));
    expect(c.truncated).toBe(true);
    expect(c.bytes).toBe(full);
    const stored = c.answer as { truncated: boolean; bytes: number; text: string };
    expect(stored.truncated).toBe(true);
    expect(stored.bytes).toBe(full);
    expect(Buffer.byteLength(stored.text)).toBe(MAX_ANSWER_BYTES);
    expect(JSON.stringify(body).startsWith(stored.text)).toBe(true);
  });

  it("cuts multi-byte text on a character boundary", () => {
    // 3-byte characters: the cap falls inside one; the partial character is dropped.
    const body = "€".repeat(200);
    const c = capAnswer(body, 100);
    const text = (c.answer as { text: string }).text;
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(100);
    expect(text).not.toContain("\uFFFD");
    expect(text.startsWith('"€')).toBe(true);
  });

  it("counts UTF-8 bytes like Buffer does, surrogate pairs included", () => {
    for (const s of ["", "abc", "é", "€", "😀", "a😀b€é", "\ud800x"]) {
      expect(utf8Length(s)).toBe(Buffer.byteLength(s));
    }
  });
});

describe("recorded answers: redaction and kinds", () => {
  it("records connector and agent blocks only", () => {
    expect(recordedAnswerKind({ kind: "connector" })).toBe("connector");
    expect(recordedAnswerKind({ kind: "agent" })).toBe("model");
    expect(recordedAnswerKind({ kind: "transform" } as never)).toBeNull();
    expect(recordedAnswerKind({ kind: "http" } as never)).toBeNull();
  });

  it("strips credentials inside URLs and secret query parameters from an answer", () => {
    const a = buildAnswer("connector", {
      ok: true,
      output: { link: "https://bob:hunter2@api.example.com/x?api_key=abc123&page=2" },
    });
    const text = JSON.stringify(a.body);
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("abc123");
    expect(text).toContain("page=2");
    expect(text).toContain(REDACTED);
  });

  it("redacts the workspace's secret values in the answer with the rest of the checkpoint", () => {
    const finish: AttemptFinish = {
      runId: "r",
      stepId: "s",
      attempt: 1,
      status: "failed",
      error: {
        name: "E",
        message: "token s3cr3t-value refused",
        retryable: false,
        classification: { severity: "low", category: "auth" },
      },
      finishedAt: 1,
      answer: buildAnswer("connector", {
        ok: false,
        error: {
          name: "E",
          message: "token s3cr3t-value refused",
          retryable: false,
          classification: { severity: "low", category: "auth" },
        },
      }),
    };
    const cp: Checkpoint = { finish };
    const out = redactCheckpoint(cp, ["s3cr3t-value"]);
    expect(JSON.stringify(out.finish!.answer)).not.toContain("s3cr3t-value");
    expect(JSON.stringify(out.finish!.answer)).toContain(REDACTED);
    expect(out.finish!.answer!.kind).toBe("connector");
  });

  it("keeps an agent's usage apart from its model calls", () => {
    const c = answerCollector();
    c.add({ promptHash: "sha256:1", model: "m", content: "a" });
    c.add({ usage: { model: "demo", tokensIn: 3, tokensOut: 4 } });
    const a = buildAnswer("model", { ok: true, output: { label: "x" } }, c);
    expect(a.body).toEqual({
      ok: true,
      output: { label: "x" },
      calls: [{ promptHash: "sha256:1", model: "m", content: "a" }],
      usage: { model: "demo", tokensIn: 3, tokensOut: 4 },
    });
  });

  it("keeps at most MAX_ANSWER_PARTS parts and counts the rest", () => {
    const c = answerCollector();
    for (let i = 0; i < MAX_ANSWER_PARTS + 3; i++) c.add({ i });
    const a = buildAnswer("model", { ok: true, output: {} }, c);
    const body = a.body as { calls: unknown[]; callsDropped: number };
    expect(body.calls).toHaveLength(MAX_ANSWER_PARTS);
    expect(body.callsDropped).toBe(3);
  });
});

describe("recorded answers: the engine records them with the attempt's finish", () => {
  const flow = `
flow: answers
version: 1.0.0
steps:
  - id: w
    uses: test.write@1
    retry: { max: 1, backoff: fixed, jitter: none, initial_delay: 1s }
    with: { n: 1 }
  - id: t
    uses: data.transform@1
    needs: [w]
    with:
      fields: { x: "1" }
  - id: ask
    uses: test.agent@1
    needs: [t]
    with: { text: hi }
`;

  it("records output or error per connector/agent attempt, in the finish's checkpoint", async () => {
    const h = harness();
    const finishes: AttemptFinish[] = [];
    const commit = h.store.commit.bind(h.store);
    h.store.commit = async (runId, owner, cp) => {
      if (cp.finish) finishes.push(cp.finish);
      return commit(runId, owner, cp);
    };
    let calls = 0;
    const write: BlockRuntime = {
      async execute() {
        calls++;
        if (calls === 1) throw new Error("503 from upstream");
        return { id: "C-1" };
      },
    };
    const agent: BlockRuntime = {
      async execute(req) {
        req.answers?.add({ promptHash: "sha256:abc", model: "m", content: '{"label":"x"}' });
        return { label: "x" };
      },
    };
    h.runtimes.register("test.write", write);
    h.runtimes.register("test.agent", agent);
    const id = await h.start(compileFlow(flow));
    for (let i = 0; i < 5; i++) {
      await h.drain();
      await h.clock.advance(2000);
    }
    expect((await h.store.getRun(id))?.status).toBe("succeeded");
    const byStep = finishes.map((f) => [f.stepId, f.attempt, f.status, f.answer] as const);
    expect(byStep).toEqual([
      [
        "w",
        1,
        "failed",
        {
          kind: "connector",
          body: {
            ok: false,
            error: expect.objectContaining({ message: "503 from upstream", retryable: true }),
          },
        },
      ],
      ["w", 2, "succeeded", { kind: "connector", body: { ok: true, output: { id: "C-1" } } }],
      [
        "ask",
        1,
        "succeeded",
        {
          kind: "model",
          body: {
            ok: true,
            output: { label: "x" },
            calls: [{ promptHash: "sha256:abc", model: "m", content: '{"label":"x"}' }],
          },
        },
      ],
    ]);
  });

  it("records nothing when the call was never made (a failure before the runtime ran)", async () => {
    const h = harness();
    const finishes: AttemptFinish[] = [];
    const commit = h.store.commit.bind(h.store);
    h.store.commit = async (runId, owner, cp) => {
      if (cp.finish) finishes.push(cp.finish);
      for (const a of cp.attempts ?? []) finishes.push(a as never);
      return commit(runId, owner, cp);
    };
    // test.plain has no runtime: the attempt fails before any call.
    const id = await h.start(
      compileFlow(`
flow: no-call
version: 1.0.0
steps:
  - id: w
    uses: test.plain@1
    with: { n: 1 }
`),
    );
    await h.drain();
    expect((await h.store.getRun(id))?.status).toBe("failed");
    expect(finishes.every((f) => (f as AttemptFinish).answer === undefined)).toBe(true);
  });
});
