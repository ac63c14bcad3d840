import { describe, expect, it } from "vitest";
import { applyPatch } from "rfc6902";
import { inputsPatchOf, replayableStatus } from "./replay-request";

describe("inputsPatchOf", () => {
  it("gives no operation for unchanged inputs, however they are spaced", () => {
    expect(inputsPatchOf({ a: 1, b: [1, 2] }, '{"b":[1,2],  "a":1}')).toEqual({
      ok: true,
      patch: [],
    });
  });

  it("gives the RFC 6902 operations that turn the run's inputs into the edited ones", () => {
    const original = { customer: { email: "a@x.test", tier: "gold" }, amount: 10, note: "n" };
    const text =
      '{ "customer": { "email": "b@x.test", "tier": "gold" }, "amount": 10, "extra": true }';
    const r = inputsPatchOf(original, text);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.patch).toEqual(
      expect.arrayContaining([
        { op: "replace", path: "/customer/email", value: "b@x.test" },
        { op: "remove", path: "/note" },
        { op: "add", path: "/extra", value: true },
      ]),
    );
    expect(r.patch).toHaveLength(3);
    const doc = structuredClone(original);
    expect(applyPatch(doc, r.patch).every((e) => e === null)).toBe(true);
    expect(doc).toEqual(JSON.parse(text));
  });

  it("refuses text that is not JSON, and JSON that is not an object", () => {
    expect(inputsPatchOf({}, "{ amount: 1 }")).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^Not JSON: /),
    });
    for (const text of ["[1]", "null", "3", '"x"'])
      expect(inputsPatchOf({}, text)).toMatchObject({
        ok: false,
        problem: expect.stringMatching(/JSON object/),
      });
  });
});

describe("replayableStatus", () => {
  const run = (status: string, deadLetters = 0, draft = false) => ({
    status,
    draft,
    deadLetters: Array.from({ length: deadLetters }),
  });

  it("offers a replay of failed, compensated and cancelled runs, and of successes with dead letters", () => {
    for (const s of ["failed", "compensated", "cancelled"])
      expect(replayableStatus(run(s))).toBe(true);
    expect(replayableStatus(run("succeeded", 1))).toBe(true);
  });

  it("not of clean successes, unfinished runs or draft runs", () => {
    expect(replayableStatus(run("succeeded"))).toBe(false);
    for (const s of ["queued", "running", "waiting"]) expect(replayableStatus(run(s))).toBe(false);
    expect(replayableStatus(run("failed", 0, true))).toBe(false);
  });
});
