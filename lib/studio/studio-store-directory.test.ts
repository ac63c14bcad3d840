import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { studioRegistry } from "./registry";
import { StudioStore } from "./studio-store";

const flow = (approvers: string) => `flow: addressed
version: 1.0.0
trigger:
  manual: {}
steps:
  - id: decide
    uses: human.approval@1
    with:
      approvers: ${approvers}
      message: Go ahead?
`;

const codes = (store: StudioStore) => store.getState().diagnostics.map((d) => d.code);

describe("StudioStore: the workspace's directory", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("checks group: and users: once the directory is known, recompiling only when it changes", () => {
    const store = new StudioStore(studioRegistry(), flow("{ group: finanse }"), {
      parseDelayMs: 0,
    });
    vi.runAllTimers();
    // Before the directory arrives, addressing is not checked (no false alarms while loading).
    expect(codes(store)).toEqual([]);

    const listener = vi.fn();
    store.subscribe(listener);
    store.setDirectory({ groups: ["finance"], users: ["ada@example.com"] });
    vi.runAllTimers();
    const [d] = store.getState().diagnostics;
    expect(d).toMatchObject({ code: "TF3060", severity: "error", stepId: "decide" });
    expect(store.getState().text.slice(d!.span.start, d!.span.end)).toBe("finanse");
    expect(d!.hint).toContain("finance"); // the suggestion

    // The same directory again (a refetch): no recompile.
    listener.mockClear();
    store.setDirectory({ groups: ["finance"], users: ["ada@example.com"] });
    vi.runAllTimers();
    expect(listener).not.toHaveBeenCalled();

    // Typing keeps using it.
    store.setText(flow("{ group: finance }"), "editor");
    vi.runAllTimers();
    expect(codes(store)).toEqual([]);
    store.setText(flow("{ users: [eve@example.com] }"), "editor");
    vi.runAllTimers();
    expect(codes(store)).toEqual(["TF3060"]);

    // A member added in Settings: the next directory clears it.
    store.setDirectory({ groups: ["finance"], users: ["ada@example.com", "eve@example.com"] });
    vi.runAllTimers();
    expect(codes(store)).toEqual([]);
    store.dispose();
  });

  it("does not compile again for a directory when the text addresses nobody, or before its first compile", () => {
    const plain = `flow: plain
version: 1.0.0
trigger:
  manual: {}
steps:
  - id: calc
    uses: data.transform@1
    with:
      fields: { x: "1" }
`;
    const store = new StudioStore(studioRegistry(), plain, { parseDelayMs: 0 });
    vi.runAllTimers();
    const listener = vi.fn();
    store.subscribe(listener);
    store.setDirectory({ groups: ["finance"], users: [] });
    vi.runAllTimers();
    expect(listener).not.toHaveBeenCalled();
    store.dispose();

    // Arriving before the first compile: that compile checks against it.
    const early = new StudioStore(studioRegistry(), flow("{ group: finanse }"), {
      parseDelayMs: 0,
    });
    early.setDirectory({ groups: ["finance"], users: [] });
    vi.runAllTimers();
    expect(codes(early)).toEqual(["TF3060"]);
    early.dispose();
  });
});
