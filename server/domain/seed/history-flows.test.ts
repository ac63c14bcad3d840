/**
 * The demo history's plan: its flows compile and share no block with a template or a seeded
 * sample (so no planted effect touches a block the templates use), its rhythm is daily and
 * weekly, and the planted effects show in the generated runs, each where and when the plan says.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { flowTemplates } from "@/dsl";
import { compileFlow } from "../workflow/compile-flow";
import { historyBatches, historyDayZero, historyStart, runSchedule } from "./history-generate";
import { HISTORY_FLOWS } from "./history-flows";
import { DAY_MS, FLOW_SHARES, OUTAGE, PLANTED, planted } from "./history-plan";
import type { SimulatedRun } from "./ports";

const END = Date.UTC(2026, 11, 6, 5, 0);
const START = historyStart(END);
/** Day 0 of the plan (the planted effects' days count from it). */
const ZERO = historyDayZero(END);

/** `id@major` of every block a flow text uses (steps, nested steps, compensations). */
function blocksOf(text: string): Set<string> {
  return new Set([...text.matchAll(/uses:\s*([a-z][\w.]*@\d+)/g)].map((m) => m[1]!));
}

describe("the demo history's flows", () => {
  it("compile without a diagnostic, every version", () => {
    for (const f of HISTORY_FLOWS)
      for (const v of f.versions) {
        const r = compileFlow(v.text);
        expect(r.diagnostics, `${f.name} ${v.version}`).toEqual([]);
        expect(r.ir?.version).toBe(v.version);
        expect(r.ir?.name).toBe(f.name);
      }
    expect(Object.keys(FLOW_SHARES).sort()).toEqual(HISTORY_FLOWS.map((f) => f.name).sort());
    expect(Object.values(FLOW_SHARES).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it("use no block a template or a seeded sample uses, planted or not", () => {
    const samples = path.resolve(__dirname, "../../../prisma/samples");
    const theirs = new Set<string>();
    for (const t of flowTemplates) for (const b of blocksOf(t.text)) theirs.add(b);
    for (const f of readdirSync(samples).filter((n) => n.endsWith(".yaml")))
      for (const b of blocksOf(readFileSync(path.join(samples, f), "utf8"))) theirs.add(b);
    // Compensations of the templates' blocks run too: their blocks count.
    for (const t of flowTemplates)
      for (const s of compileFlow(t.text).ir?.steps ?? [])
        if (s.compensate) theirs.add(s.compensate.uses);
    expect(theirs.size).toBeGreaterThan(10);
    const ours = new Set(
      HISTORY_FLOWS.flatMap((f) => f.versions.flatMap((v) => [...blocksOf(v.text)])),
    );
    expect([...ours].filter((b) => theirs.has(b))).toEqual([]);
    for (const p of PLANTED) expect(theirs.has(p.block), p.kind).toBe(false);
  });
});

describe("the demo history's rhythm", () => {
  it("is deterministic, within the 30 days, busier on weekdays and in business hours", () => {
    const s = runSchedule({ seed: 9, runs: 20_000, endMs: END });
    expect(runSchedule({ seed: 9, runs: 20_000, endMs: END })).toEqual(s);
    expect(runSchedule({ seed: 10, runs: 20_000, endMs: END })).not.toEqual(s);
    expect(s[0]!.at).toBeGreaterThanOrEqual(START);
    expect(s.at(-1)!.at).toBeLessThan(END);
    expect(s.every((x, i) => i === 0 || s[i - 1]!.at <= x.at)).toBe(true);
    const days = (pred: (d: Date) => boolean) => {
      const hits = s.filter((x) => pred(new Date(x.at))).length;
      const n = new Set(s.filter((x) => pred(new Date(x.at))).map((x) => Math.floor(x.at / DAY_MS)))
        .size;
      return hits / n;
    };
    const weekend = days((d) => d.getUTCDay() === 0 || d.getUTCDay() === 6);
    const weekday = days((d) => d.getUTCDay() > 0 && d.getUTCDay() < 6);
    expect(weekday / weekend).toBeGreaterThan(2);
    const inHours = (from: number, to: number) =>
      s.filter((x) => new Date(x.at).getUTCHours() >= from && new Date(x.at).getUTCHours() < to)
        .length;
    expect(inHours(9, 12) / inHours(0, 3)).toBeGreaterThan(8);
  });
});

describe("the planted effects", () => {
  const runs: SimulatedRun[] = [];
  beforeAll(async () => {
    const flows = HISTORY_FLOWS.map((f, i) => ({
      name: f.name,
      workflowId: `00000000-0000-4000-8000-00000000000${i}`,
      versions: f.versions.map((v) => ({
        version: v.version,
        fromMs: Math.max(START, ZERO + v.fromDay * DAY_MS),
        ir: compileFlow(v.text).ir!,
      })),
    }));
    const params = {
      seed: 17,
      runs: 6_000,
      endMs: END,
      workspaceId: "00000000-0000-4000-8000-0000000000ff",
      writtenAt: new Date(END),
    };
    for await (const b of historyBatches(params, flows, 1_000)) runs.push(...b.runs);
  }, 180_000);

  const day = (at: number) => (at - ZERO) / DAY_MS;
  const attemptsOf = (blockId: string) =>
    runs
      .flatMap((r) => [...r.rows, ...r.logs.flatMap((l) => l.attempts)])
      .filter((a) => a.blockId === blockId);
  const within = (p: { fromDay: number; toDay: number }, at: number) =>
    day(at) >= p.fromDay && day(at) < p.toDay;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

  it("a new write endpoint and a calls-per-run jump appear with their versions", () => {
    const deal = attemptsOf("crm.deal.create");
    expect(deal.length).toBeGreaterThan(0);
    expect(Math.min(...deal.map((a) => day(a.startedAt)))).toBeGreaterThanOrEqual(
      planted("new-write-endpoint").fromDay,
    );
    const digest = runs.filter((r) => r.ir.name === "account-digest");
    const calls = (r: SimulatedRun) => r.rows.filter((a) => a.blockId === "crm.contact.get").length;
    const jump = planted("calls-per-run");
    const before = digest.filter(
      (r) => day(r.run.createdAt) < jump.fromDay && r.run.status === "succeeded",
    );
    const after = digest.filter(
      (r) => day(r.run.createdAt) >= jump.fromDay && r.run.status === "succeeded",
    );
    expect(median(before.map(calls))).toBe(2);
    expect(median(after.map(calls))).toBe(10);
  });

  it("the latency spike doubles the searches' latency in its window only", () => {
    const p = planted("latency");
    const ok = attemptsOf("crm.contact.search").filter((a) => a.status === "succeeded");
    const inside = median(ok.filter((a) => within(p, a.startedAt)).map((a) => a.durationMs!));
    const outside = median(
      ok.filter((a) => !within(p, a.startedAt) && day(a.startedAt) < 23).map((a) => a.durationMs!),
    );
    expect(inside / outside).toBeGreaterThan(1.5);
    expect(inside / outside).toBeLessThan(3);
  });

  it("the cost jump quadruples the summaries' tokens in and cost from its start", () => {
    const p = planted("cost");
    const usage = runs.flatMap((r) => r.usage).filter((u) => u.model === "demo-large");
    const cost = (xs: typeof usage) => median(xs.map((u) => u.costUsd));
    const after = usage.filter((u) => day(u.at) >= p.fromDay);
    const before = usage.filter((u) => day(u.at) < p.fromDay);
    expect(cost(after) / cost(before)).toBeGreaterThan(3);
    expect(cost(after) / cost(before)).toBeLessThan(4.5);
  });

  it("the charges fail more in the burst, and the CLM degrades until its breaker opens", () => {
    const rate = (xs: ReturnType<typeof attemptsOf>) =>
      xs.filter((a) => a.status === "failed").length / xs.length;
    const charges = attemptsOf("billing.charge.create");
    const burst = planted("error-rate");
    expect(rate(charges.filter((a) => within(burst, a.startedAt)))).toBeGreaterThan(
      2 * rate(charges.filter((a) => !within(burst, a.startedAt))),
    );
    const clm = attemptsOf("clm.signature.get");
    const degrading = planted("degrading-connector");
    const early = clm.filter((a) => day(a.startedAt) < degrading.fromDay);
    const late = clm.filter((a) => day(a.startedAt) >= 28 && !within(OUTAGE, a.startedAt));
    expect(rate(late)).toBeGreaterThan(4 * Math.max(rate(early), 0.01));
    const outage = clm.filter((a) => within(OUTAGE, a.startedAt));
    expect(outage.every((a) => a.status === "failed")).toBe(true);
    expect(outage.some((a) => a.error?.name === "BreakerOpenError")).toBe(true);
  });
});
