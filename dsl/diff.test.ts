import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { diffFlows } from "./diff";

const base = readFileSync(path.join(import.meta.dirname, "testdata/quote-to-cash.yaml"), "utf8");

describe("diffFlows", () => {
  it("finds no change in the same text", () => {
    const d = diffFlows(base, base);
    expect(d.bump).toBe("none");
    expect(d.suggested("1.4.0")).toBe("1.4.0");
  });
  it("classifies layout and description changes as patch", () => {
    const d = diffFlows(
      base,
      base
        .replace("account: [0, 140]", "account: [10, 150]")
        .replace("Provision billing", "Provision billing accounts"),
    );
    expect(d.bump).toBe("patch");
    expect(d.suggested("1.4.0")).toBe("1.4.1");
  });
  it("classifies an added optional input as minor", () => {
    const d = diffFlows(
      base,
      base.replace("inputs:\n", "inputs:\n  note:\n    type: string\n    required: false\n"),
    );
    expect(d.bump).toBe("minor");
    expect(d.suggested("1.4.0")).toBe("1.5.0");
  });
  it("classifies a retyped input, a required input or a changed block major as major", () => {
    expect(
      diffFlows(
        base,
        base.replace("    type: string\n    pattern", "    type: number\n    pattern"),
      ).bump,
    ).toBe("major");
    expect(
      diffFlows(base, base.replace("inputs:\n", "inputs:\n  region:\n    type: string\n")).bump,
    ).toBe("major");
    const d = diffFlows(base, base.replace("billing.account.upsert@2", "billing.account.upsert@1"));
    expect(d.bump).toBe("major");
    expect(d.changes[0]).toMatchObject({ kind: "major", stepId: "account" });
    expect(d.suggested("1.4.0")).toBe("2.0.0");
  });
  it("treats a removed step that others use as major", () => {
    const removed = base.replace(/  - id: welcome[\s\S]*?(?=  - id: deal)/, "");
    expect(diffFlows(base, removed).bump).toBe("major");
  });
  it("classifies retry tweaks as patch", () => {
    expect(diffFlows(base, base.replace("max: 5", "max: 6")).bump).toBe("patch");
  });
});
