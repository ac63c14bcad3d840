import { describe, expect, it } from "vitest";
import { lazyChild, type EngineLogger } from "./ports";

/** A logger that records the children it makes and the lines it writes, with their bindings. */
function recorder() {
  const children: Array<Record<string, unknown>> = [];
  const lines: Array<{
    level: string;
    bindings: Record<string, unknown>;
    obj: object;
    msg?: string;
  }> = [];
  const make = (bindings: Record<string, unknown>): EngineLogger => {
    const line = (level: string) => (obj: Record<string, unknown>, msg?: string) =>
      void lines.push({ level, bindings, obj, msg });
    return {
      child: (more) => {
        children.push(more);
        return make({ ...bindings, ...more });
      },
      debug: line("debug"),
      info: line("info"),
      warn: line("warn"),
      error: line("error"),
    };
  };
  return { root: make({}), children, lines };
}

describe("lazyChild", () => {
  it("makes no child logger while nothing is logged", () => {
    const r = recorder();
    const log = lazyChild(r.root, { runId: "r1" });
    log.child({ stepId: "a" }).child({ attempt: 1 });
    expect(r.children).toEqual([]);
    expect(r.lines).toEqual([]);
  });

  it("makes the child once, at its first line, with the bindings it was given", () => {
    const r = recorder();
    const log = lazyChild(r.root, { runId: "r1" });
    log.warn({ n: 1 }, "first");
    log.error({ n: 2 });
    expect(r.children).toEqual([{ runId: "r1" }]);
    expect(r.lines).toEqual([
      { level: "warn", bindings: { runId: "r1" }, obj: { n: 1 }, msg: "first" },
      { level: "error", bindings: { runId: "r1" }, obj: { n: 2 }, msg: undefined },
    ]);
  });

  it("gives a child of a child both bindings, made or not", () => {
    const r = recorder();
    const log = lazyChild(r.root, { runId: "r1" });
    log.child({ stepId: "a" }).info({}, "before");
    log.debug({}, "made");
    log.child({ stepId: "b" }).info({}, "after");
    expect(r.lines.map((l) => [l.msg, l.bindings])).toEqual([
      ["before", { runId: "r1", stepId: "a" }],
      ["made", { runId: "r1" }],
      ["after", { runId: "r1", stepId: "b" }],
    ]);
  });
});
