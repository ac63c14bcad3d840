import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { studioRegistry } from "./registry";
import { StudioStore, type StudioCommand } from "./studio-store";

const flow = `flow: actions
version: 1.0.0
trigger:
  manual: {}
steps:
  - id: first
    uses: data.transform@1
    with:
      fields: { one: "1 + 1" }
  - id: second
    uses: data.transform@1
    needs: [first]
    with:
      fields: { two: "2 + 2" }
`;

const open = (text = flow) => {
  const store = new StudioStore(studioRegistry(), text, { parseDelayMs: 0 });
  vi.runAllTimers();
  return store;
};

describe("StudioStore: actions between surfaces", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("sends a reveal to the listening editor once per request, also for the same offset", () => {
    const store = open();
    const seen: StudioCommand[] = [];
    const stop = store.onCommand((c) => seen.push(c));
    store.revealOffset(42);
    store.revealOffset(42);
    expect(seen).toEqual([
      { type: "reveal", offset: 42 },
      { type: "reveal", offset: 42 },
    ]);
    // A command is not state: nothing of it stays for a surface that listens later.
    expect(Object.keys(store.getState())).not.toContain("reveal");
    stop();
    store.revealOffset(7);
    expect(seen).toHaveLength(2);
  });

  it("auto-layout rewrites the positions as one undo step, then asks the canvas to fit", () => {
    const store = open();
    const seen: StudioCommand[] = [];
    store.onCommand((c) => seen.push(c));
    expect(store.autoLayout()).toBe(true);
    const laid = store.getState();
    expect(laid.text).toMatch(/positions:/);
    expect(Object.keys(laid.graph!.positions).sort()).toEqual(["first", "second"]);
    expect(seen).toEqual([{ type: "fit-view" }]);
    store.undo();
    expect(store.getState().text).toBe(flow);
  });

  it("auto-layout of a text that never parsed changes nothing and fits nothing", () => {
    const store = open("flow: [unclosed\n");
    const seen: StudioCommand[] = [];
    store.onCommand((c) => seen.push(c));
    expect(store.autoLayout()).toBe(false);
    expect(store.getState().text).toBe("flow: [unclosed\n");
    expect(seen).toEqual([]);
  });
});

describe("StudioStore: why a version cannot be saved", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("is decided when the text's diagnostics are in, and kept while the next edit compiles", () => {
    const store = open();
    expect(store.getState().saveBlocker).toBeNull();
    store.setText(
      flow.replace("uses: data.transform@1\n    needs", "uses: nope.block@1\n    needs"),
      "editor",
    );
    // Parsed (graph) but not compiled yet: the last decision stands.
    expect(store.getState().diagnosticsRevision).not.toBe(store.getState().revision);
    expect(store.getState().saveBlocker).toBeNull();
    vi.runAllTimers();
    expect(store.getState().saveBlocker?.short).toMatch(/^Fix \d+ errors? first$/);
    // A text that does not parse says so.
    store.setText("flow: [unclosed\n", "editor");
    vi.runAllTimers();
    expect(store.getState().saveBlocker?.short).toBe("The YAML does not parse");
    // Both edits were one typing group: undo goes back to the clean text.
    store.undo();
    vi.runAllTimers();
    expect(store.getState().text).toBe(flow);
    expect(store.getState().saveBlocker).toBeNull();
  });

  it("follows the server's diagnostics for the text on screen", () => {
    const store = open();
    const text = store.getState().text;
    store.setServerDiagnostics(text, [
      {
        code: "TF9999",
        severity: "error",
        message: "refused by the server",
        span: { start: 0, end: 4 },
      },
    ]);
    expect(store.getState().saveBlocker?.reason).toContain("TF9999");
  });
});

describe("StudioStore: unchanged steps keep their objects", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("an edit of one step gives one new step object; the others are the same objects", () => {
    const store = open();
    const before = store.getState().graph!;
    store.setText(flow.replace('two: "2 + 2"', 'two: "2 + 3"'), "editor");
    vi.runAllTimers();
    const after = store.getState().graph!;
    expect(after).not.toBe(before);
    const byId = (g: typeof before, id: string) => g.steps.find((s) => s.stepId === id);
    expect(byId(after, "first")).toBe(byId(before, "first"));
    expect(byId(after, "second")).toEqual(byId(before, "second"));
    expect(after.edges).toEqual(before.edges);
    expect(after.edges[0]).toBe(before.edges[0]);
  });
});
