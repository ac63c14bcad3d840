import { describe, expect, it } from "vitest";
import { compile } from "./compile";
import { CRON_HORIZON_MS, cronProblem, nextCronFires, parseCron } from "./cron";
import { BlockRegistry } from "./registry/registry";

const iso = (t: number) => new Date(t).toISOString();
const registry = BlockRegistry.withPrimitives();
const flow = (cron: string) =>
  `flow: nightly\nversion: 1.0.0\ntrigger:\n  schedule:\n    cron: ${JSON.stringify(cron)}\nsteps: []\n`;

describe("the cron dialect (croner underneath)", () => {
  it("refuses croner's extensions the scheduler never promised", () => {
    expect(cronProblem("0 0 L * *")).toBe('"L" is not a valid day of month');
    expect(cronProblem("0 0 * * 5#2")).toBe('"5#2" is not a valid day of week');
    expect(cronProblem("0 0 15W * *")).toBe('"15W" is not a valid day of month');
    expect(cronProblem("@daily")).toMatch(/expected 5 fields/);
    expect(cronProblem("0 0 0 1 1 * 2027")).toMatch(/found 7/);
    expect(cronProblem("1-2-3 * * * *")).toBe('"1-2-3" in minute is not a range');
    expect(cronProblem("0 9 * * mon-fri")).toBeUndefined();
  });

  it("reads a step past the range's end as its first value, as cron always did", () => {
    expect(iso(parseCron("*/90 * * * *").next(Date.UTC(2026, 0, 1, 10, 5))!)).toBe(
      "2026-01-01T11:00:00.000Z",
    );
    expect(iso(parseCron("0 0 1 */30 *").next(Date.UTC(2026, 1, 1))!)).toBe(
      "2027-01-01T00:00:00.000Z",
    );
  });

  it("lists fire times up to its horizon, and none for a date that never comes", () => {
    const from = Date.UTC(2026, 0, 1);
    expect(nextCronFires(parseCron("0 12 * * *"), from, 3).map(iso)).toEqual([
      "2026-01-01T12:00:00.000Z",
      "2026-01-02T12:00:00.000Z",
      "2026-01-03T12:00:00.000Z",
    ]);
    const never = parseCron("0 0 31 2 *");
    expect(nextCronFires(never, from, 3)).toEqual([]);
    expect(never.next(from + CRON_HORIZON_MS)).toBeNull();
  });
});

describe("schedule triggers in the compiler", () => {
  it("rejects a cron with the right shape and impossible values, naming the field", () => {
    const r = compile(flow("99 99 * * *"), { registry });
    expect(r.ok).toBe(false);
    const d = r.diagnostics.find((x) => x.code === "TF1012")!;
    expect(d.message).toBe(
      "`99 99 * * *` is not a valid cron expression: minute 99 is out of range 0-59",
    );
    expect(flow("99 99 * * *").slice(d.span.start, d.span.end)).toBe('"99 99 * * *"');
    expect(compile(flow("0 6 * * 1-5"), { registry }).ok).toBe(true);
  });

  it("reports a malformed cron once, from the structural check", () => {
    const r = compile(flow("every day"), { registry });
    expect(r.diagnostics.filter((x) => x.code === "TF1012")).toHaveLength(1);
  });
});

describe("trigger.schedule steps", () => {
  it("check a literal cron input with the same parser", () => {
    const text = (cron: string) =>
      `flow: f\nversion: 1.0.0\nsteps:\n  - id: tick\n    uses: trigger.schedule@1\n    with:\n      cron: "${cron}"\n`;
    const bad = compile(text("0 25 * * *"), { registry }).diagnostics.find(
      (d) => d.code === "TF3012",
    );
    expect(bad?.message).toMatch(/hour 25 is out of range 0-23/);
    expect(text("0 25 * * *").slice(bad!.span.start, bad!.span.end)).toBe('"0 25 * * *"');
    expect(
      compile(text("0 6 * * 1-5"), { registry }).diagnostics.filter((d) => d.code === "TF3012"),
    ).toEqual([]);
  });
});
