/**
 * The demo history's generator: when each run starts (30 days with a daily and weekly rhythm),
 * of which flow and version, with which inputs, and the batches of runs the real engine
 * executed on the simulated world (`history-simulate.ts`), with their ledger entries. Seeded:
 * the same seed, size, end time and flows give the same batches, record for record.
 */
import type { FlowIR } from "@/dsl";
import type { AuditBatchEntry } from "../audit/chain";
import { DAY_MS, FLOW_SHARES, HISTORY_DAYS, HOUR_WEIGHTS, WEEKDAY_WEIGHTS } from "./history-plan";
import { HistoryRandom, timeOrderedUuid } from "./history-random";
import { reconcileSimulated } from "./history-reconcile";
import { HistorySimulator, type RunStart } from "./history-simulate";
import type { RunFinding } from "../run/ports";
import type { HistoryBatch, SimulatedRun } from "./ports";
export type { HistoryBatch } from "./ports";

/** A demo flow as stored: its workflow and its compiled versions, each from a time on. */
export interface StoredHistoryFlow {
  name: string;
  workflowId: string;
  versions: Array<{ version: string; fromMs: number; ir: FlowIR }>;
}

/** What a generation is made of. */
export interface HistoryParams {
  seed: number;
  runs: number;
  /** The history's last instant (epoch ms); it starts {@link HISTORY_DAYS} days earlier. */
  endMs: number;
  workspaceId: string;
  /** When the ledger entries are written (the generation's time). */
  writtenAt: Date;
}

/** The start of the history. */
export const historyStart = (endMs: number) => endMs - HISTORY_DAYS * DAY_MS;

/**
 * Day 0 of the plan (`history-plan.ts`: days and planted effects count from it): the UTC
 * midnight that begins the history's first day, so the effects happen at the hours the plan
 * says (19.54 is 13:00 UTC), whatever the time of the first start.
 */
export const historyDayZero = (endMs: number) => Math.floor(historyStart(endMs) / DAY_MS) * DAY_MS;

/** When each run starts and of which flow, in time order (deterministic for the seed). */
export function runSchedule(p: Pick<HistoryParams, "seed" | "runs" | "endMs">) {
  const rand = new HistoryRandom(p.seed);
  const start = historyStart(p.endMs);
  const hours = HISTORY_DAYS * 24;
  const cumulative: number[] = [];
  let total = 0;
  for (let h = 0; h < hours; h++) {
    const at = new Date(start + h * 3_600_000);
    const w = HOUR_WEIGHTS[at.getUTCHours()]! * WEEKDAY_WEIGHTS[at.getUTCDay()]!;
    total += w * (0.85 + 0.3 * rand.next());
    cumulative.push(total);
  }
  const flows = Object.entries(FLOW_SHARES);
  const out: Array<{ at: number; flow: string }> = [];
  for (let i = 0; i < p.runs; i++) {
    const r = rand.next() * total;
    let lo = 0;
    let hi = hours - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    const at = Math.min(p.endMs - 1, Math.floor(start + (lo + rand.next()) * 3_600_000));
    out.push({ at, flow: rand.weighted(flows) });
  }
  return out.sort((a, b) => a.at - b.at || a.flow.localeCompare(b.flow));
}

const EMAIL_NAMES = ["ada", "grace", "alan", "hedy", "katherine", "linus", "mateo", "noor", "ines"];
const DOMAINS = ["example.com", "example.org", "acme.example", "northgrid.example"];
const TICKETS = [
  "I was charged twice this month. Please refund the second charge.",
  "The export to CSV fails with an error since this morning.",
  "We would like a demo and pricing for 40 seats.",
  "Our invoice shows the wrong VAT number. Can you correct it?",
  "Login with SSO loops back to the start page.",
  "Can we move to the annual plan and keep our discount?",
  "The API returns 500 when we create a contact with a long name.",
  "Please cancel the payment of order 4471; it was a duplicate.",
  "How do I add a second admin to our workspace?",
  "Webhook deliveries arrive twice since the last update.",
];

/** A run's inputs, as the flow's trigger would send them. */
function inputsFor(flow: string, rand: HistoryRandom, i: number): Record<string, unknown> {
  switch (flow) {
    case "payment-collection":
      return {
        accountId: `ACC-${5000 + rand.int(0, 299)}`,
        orderId: `ORD-${100000 + i}`,
        amount: Math.max(1, Math.round(rand.logNormal(120, 0.8) * 100) / 100),
      };
    case "contact-hygiene":
      return { email: `${rand.pick(EMAIL_NAMES)}.${rand.int(1, 999)}@${rand.pick(DOMAINS)}` };
    case "ticket-triage":
      return { text: rand.pick(TICKETS) };
    case "signature-watch":
      return {
        envelopeId: `ENV-${rand.int(0x100, 0xfffff).toString(16)}`,
        dealId: `DEAL-${rand.int(100, 999)}`,
      };
    default:
      return { contactId: `CON-${rand.int(1000, 1999)}` };
  }
}

/** The version of `flow` in use at `at` (the latest saved before it). */
function versionAt(flow: StoredHistoryFlow, at: number) {
  let v = flow.versions[0]!;
  for (const x of flow.versions) if (x.fromMs <= at) v = x;
  return v;
}

/**
 * The history's batches, in order, each of `batchSize` runs executed by the engine. Batches
 * before `from` are executed but not returned (a generation interrupted after them resumes:
 * the engine's breakers and the random streams must reach the same state).
 */
export async function* historyBatches(
  p: HistoryParams,
  flows: readonly StoredHistoryFlow[],
  batchSize: number,
  from = 0,
  opts: { fastPath?: boolean; counts?: { fast: number; engine: number; stuck: number } } = {},
): AsyncGenerator<HistoryBatch> {
  const schedule = runSchedule(p);
  const byName = new Map(flows.map((f) => [f.name, f]));
  const sim = new HistorySimulator(p.seed, historyDayZero(p.endMs), opts.fastPath ?? true);
  if (opts.counts) sim.counts = opts.counts;
  const rand = new HistoryRandom(p.seed ^ 0x1a7);
  for (let b = 0; b * batchSize < schedule.length; b++) {
    const runs: SimulatedRun[] = [];
    const findings: RunFinding[][] = [];
    const ledger: AuditBatchEntry[] = [];
    for (let i = b * batchSize; i < Math.min(schedule.length, (b + 1) * batchSize); i++) {
      const s = schedule[i]!;
      const flow = byName.get(s.flow)!;
      const v = versionAt(flow, s.at);
      const start: RunStart = {
        id: timeOrderedUuid(p.seed, `run:${i}`, s.at),
        workspaceId: p.workspaceId,
        workflowId: flow.workflowId,
        version: v.version,
        ir: v.ir,
        inputs: inputsFor(s.flow, rand, i),
        startedBy: `webhook:${v.ir.name}`,
        createdAt: s.at,
        queueLagMs: rand.int(2, 40),
      };
      const run = await sim.run(start);
      if (!run) continue;
      runs.push(run);
      // Batches before `from` were stored already: only the simulation's state is wanted.
      findings.push(b >= from ? reconcileSimulated(run) : []);
      ledger.push(startEntry(start, `demo-history:${p.seed}:${i}`, p.writtenAt));
      for (const end of run.ends) ledger.push(markEnd(end, run, p.writtenAt));
    }
    if (b >= from) yield { index: b, runs, findings, ledger };
  }
}

/** The `run.start` entry a webhook start writes, marked as demo history. */
function startEntry(s: RunStart, deliveryId: string, now: Date): AuditBatchEntry {
  return {
    actor: { label: s.startedBy, userId: null },
    record: {
      action: "run.start",
      subjectType: "run",
      subjectId: s.id,
      payload: {
        workflowId: s.workflowId,
        flow: s.ir.name,
        version: s.version,
        irHash: s.ir.hash,
        draft: false,
        trigger: { type: "webhook", deliveryId },
        demoHistory: true,
        occurredAt: new Date(s.createdAt).toISOString(),
      },
    },
    now,
  };
}

/** The engine's run-end entry, marked as demo history. */
function markEnd(end: AuditBatchEntry, run: SimulatedRun, now: Date): AuditBatchEntry {
  const at = run.run.finishedAt ?? run.run.createdAt;
  return {
    ...end,
    record: {
      ...end.record,
      payload: { ...end.record.payload, demoHistory: true, occurredAt: new Date(at).toISOString() },
    },
    now,
  };
}
