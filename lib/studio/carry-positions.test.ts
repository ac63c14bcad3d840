import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { detectRenames } from "./carry-positions";
import { studioRegistry } from "./registry";
import { StudioStore } from "./studio-store";

const flow = readFileSync(
  new URL("../../prisma/samples/quote-to-cash.flow.yaml", import.meta.url),
  "utf8",
);

const slot = (id: string, uses = "x@1") => ({ id, uses });

describe("detectRenames", () => {
  it("pairs a changed id at the same place with the same block", () => {
    const prev = [slot("a"), slot("deal", "crm.deal.update@1"), slot("c")];
    const next = [slot("a"), slot("deal_c", "crm.deal.update@1"), slot("c")];
    expect(detectRenames(prev, next, null)).toEqual({
      renames: [["deal", "deal_c"]],
      vanished: null,
    });
  });

  it("does not take a reorder, a changed block or a reused id for a rename", () => {
    expect(detectRenames([slot("a"), slot("b")], [slot("b"), slot("a")], null).renames).toEqual([]);
    expect(detectRenames([slot("a", "p@1")], [slot("b", "q@1")], null).renames).toEqual([]);
    expect(detectRenames([slot("a"), slot("b")], [slot("a"), slot("a")], null).renames).toEqual([]);
  });

  it("follows an id cleared and typed anew", () => {
    const prev = [slot("a"), slot("deal", "crm.deal.update@1"), slot("c")];
    const cleared = [slot("a"), slot("c")];
    const step1 = detectRenames(prev, cleared, null);
    expect(step1).toEqual({
      renames: [],
      vanished: { id: "deal", index: 1, uses: "crm.deal.update@1" },
    });
    const typed = [slot("a"), slot("n", "crm.deal.update@1"), slot("c")];
    expect(detectRenames(cleared, typed, step1.vanished)).toEqual({
      renames: [["deal", "n"]],
      vanished: null,
    });
    // A different block appearing there is a new step, not the old one renamed.
    const other = [slot("a"), slot("n", "http.request@1"), slot("c")];
    expect(detectRenames(cleared, other, step1.vanished).renames).toEqual([]);
  });
});

describe("StudioStore: a step renamed by typing keeps its position", () => {
  const typeInto = (store: StudioStore, text: string) => store.setText(text, "editor");
  const positions = (store: StudioStore) => store.getState().graph!.positions;

  afterEach(() => vi.restoreAllMocks());

  it("moves the ui.positions key along with each keystroke, in the keystroke's undo step", () => {
    // Keystrokes a second apart: each is an undo step of its own (no typing group).
    let now = 1_000_000;
    vi.spyOn(Date, "now").mockImplementation(() => (now += 1000));
    const store = new StudioStore(studioRegistry(), flow, { parseDelayMs: 0 });
    expect(positions(store).account).toEqual([0, 140]);
    // Typing "_x" after `- id: account`, then clearing the id and typing "billing".
    let text = flow;
    for (const id of ["account_", "account_x"]) {
      text = text.replace(/- id: account\w*\n/, `- id: ${id}\n`);
      typeInto(store, text);
      text = store.getState().text;
      expect(positions(store)[id]).toEqual([0, 140]);
    }
    expect(store.getState().text).toMatch(/^ {4}account_x: \[0, 140\]$/m);
    typeInto(store, text.replace("- id: account_x\n", "- id:\n"));
    typeInto(store, store.getState().text.replace("- id:\n", "- id: b\n"));
    expect(positions(store).b).toEqual([0, 140]);
    expect(store.getState().text).not.toMatch(/account_x: \[/);
    // References were not touched (that is the rename-step edit's job), only the position.
    expect(store.getState().text).toContain("steps.account.output.creditLimit");
    // Undo walks back keystroke by keystroke; each text has its position on its step (the key
    // moved in the keystroke's own undo step), except while the id was cleared.
    const seen: string[] = [];
    while (store.getState().canUndo) {
      store.undo();
      const g = store.getState().graph!;
      const ids = new Set(g.steps.map((s) => s.stepId));
      seen.push(
        Object.keys(g.positions)
          .filter((k) => !ids.has(k))
          .join(","),
      );
    }
    expect(seen).toEqual(["account_x", "", "", ""]);
    expect(store.getState().text).toBe(flow);
    store.dispose();
  });

  it("leaves a step without a position alone", () => {
    const store = new StudioStore(studioRegistry(), flow, { parseDelayMs: 0 });
    const renamed = flow.replace("- id: deal\n", "- id: deal_closed\n");
    typeInto(store, renamed);
    expect(store.getState().text).toBe(renamed);
    store.dispose();
  });
});
