import pino from "pino";
import { describe, expect, it } from "vitest";
import { withBindings, type EngineLogger } from "./ports";

/** A logger that records the children it makes and the lines it writes. */
function recorder() {
  const children: Array<Record<string, unknown>> = [];
  const lines: Array<{ level: string; obj: object; msg?: string }> = [];
  const line = (level: string) => (obj: Record<string, unknown>, msg?: string) =>
    void lines.push({ level, obj, msg });
  const root: EngineLogger = {
    child: (more) => {
      children.push(more);
      return root;
    },
    debug: line("debug"),
    info: line("info"),
    warn: line("warn"),
    error: line("error"),
  };
  return { root, children, lines };
}

describe("withBindings", () => {
  it("puts the bindings on every line, under the line's own fields, and makes no child", () => {
    const r = recorder();
    const log = withBindings(r.root, { runId: "r1", stepId: "x" });
    log.warn({ n: 1, stepId: "a" }, "first");
    log.error({ n: 2 });
    expect(r.children).toEqual([]);
    expect(r.lines).toEqual([
      { level: "warn", obj: { runId: "r1", stepId: "a", n: 1 }, msg: "first" },
      { level: "error", obj: { runId: "r1", stepId: "x", n: 2 }, msg: undefined },
    ]);
  });

  it("gives a child's lines both bindings, and leaves the parent's alone", () => {
    const r = recorder();
    const log = withBindings(r.root, { runId: "r1" });
    log.child({ stepId: "a" }).child({ attempt: 1 }).info({}, "child");
    log.debug({}, "parent");
    expect(r.children).toEqual([]);
    expect(r.lines.map((l) => [l.msg, l.obj])).toEqual([
      ["child", { runId: "r1", stepId: "a", attempt: 1 }],
      ["parent", { runId: "r1" }],
    ]);
  });

  it("writes through pino what a pino child would, and nothing below the level", () => {
    const written: string[] = [];
    const stream = { write: (s: string) => void written.push(s) };
    const base = pino({ level: "warn", base: null, timestamp: false }, stream);
    const log = withBindings(base, { runId: "r1" });
    log.info({ n: 1 }, "below the level");
    log.warn({ n: 2 }, "kept");
    base.child({ runId: "r1" }).warn({ n: 2 }, "kept");
    expect(written.map((s) => JSON.parse(s) as unknown)).toEqual([
      { level: 40, runId: "r1", n: 2, msg: "kept" },
      { level: 40, runId: "r1", n: 2, msg: "kept" },
    ]);
  });
});
