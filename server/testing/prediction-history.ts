/**
 * A seeded synthetic run history for failure prediction (the bench, the unit and int tests): a
 * few flows calling connector endpoints, with planted effects of known size —
 * - a degrading connector (`billing`): 2 % failures per attempt for the first half, rising to
 *   30 % by the end, with outages (80 %) of 20–60 minutes a few times a day in the second half;
 * - a time-of-day effect: connector attempts fail 8 points more often 13:00–16:59 UTC;
 * - large inputs (> 20 kB) fail 10 points more often;
 * - a bad release: flow 0's version saved at 60 % of the span adds 15 points for 12 hours;
 * - noise: every attempt fails 1 % of the time, and 0.5 % of steps fail for good at once (a
 *   non-retryable error), whatever the time, block or input.
 * A step tries up to twice; a run fails at its first step that failed.
 * `futureSignal` plants a leak a correct feature pipeline must ignore: each run calls an endpoint
 * of its own (`oracle:<run id>`) 1 ms after it starts, and that attempt fails exactly when the
 * run fails. Features as of the run's start must not see it (the endpoint has no earlier
 * history), so the backtest's figures stay exactly the same; a pipeline that looked 1 ms ahead
 * would score almost perfectly.
 */
import { randomUUID } from "node:crypto";
import { Prng } from "@/server/adapters/connectors/mock/prng";
import type { HistAttempt, HistRun } from "@/server/domain/prediction/features";
import { foldSteps } from "@/server/domain/trust/fold";
import type { Db } from "@/server/domain/types";
import { compileFlow } from "@/server/domain/workflow/compile-flow";

export interface SyntheticStep {
  block: string;
  endpoint: string | null;
  /** The step's id in the flow (default `s<index>`). */
  stepId?: string;
}
export interface SyntheticFlow {
  workflowId: string;
  name: string;
  steps: SyntheticStep[];
}
export interface SyntheticHistory {
  flows: SyntheticFlow[];
  runs: HistRun[];
  attempts: Array<HistAttempt & { runId: string; stepId: string; attempt: number }>;
  /** The version save times by flow id (the bad release is the second of flow 0). */
  versions: Map<string, number[]>;
}

export interface SyntheticOptions {
  seed?: number;
  days?: number;
  /** Mean minutes between runs of each flow. */
  everyMinutes?: number;
  start?: number;
  /** Effects off: only the 1 % noise (and the planted leak, if asked). */
  clean?: boolean;
  futureSignal?: boolean;
  /** The flows (default: {@link syntheticFlows}); the first gets the bad release. */
  flows?: SyntheticFlow[];
  /** Endpoints starting with this degrade (default `billing:`). */
  degrading?: string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const STEPS: Record<string, SyntheticStep> = {
  deal: { block: "crm.deal.update@1", endpoint: "crm:crm.deal.update" },
  invoice: { block: "billing.invoice.create@1", endpoint: "billing:billing.invoice.create" },
  charge: { block: "billing.payment.capture@1", endpoint: "billing:billing.payment.capture" },
  ticket: { block: "support.ticket.create@1", endpoint: "support:support.ticket.create" },
  map: { block: "transform.map@1", endpoint: null },
};

export function syntheticFlows(): SyntheticFlow[] {
  const f = (i: number, name: string, steps: SyntheticStep[]) => ({
    workflowId: `00000000-0000-4000-8000-00000000000${i}`,
    name,
    steps,
  });
  return [
    f(0, "invoice-deal", [STEPS.map!, STEPS.invoice!, STEPS.deal!]),
    f(1, "charge-card", [STEPS.map!, STEPS.charge!]),
    f(2, "open-ticket", [STEPS.map!, STEPS.ticket!]),
    f(3, "sync-deal", [STEPS.deal!, STEPS.map!]),
  ];
}

export function syntheticHistory(opts: SyntheticOptions = {}): SyntheticHistory {
  const rng = new Prng(opts.seed ?? 1);
  const days = opts.days ?? 14;
  const start = opts.start ?? Date.UTC(2026, 10, 1);
  const end = start + days * DAY;
  const every = (opts.everyMinutes ?? 3) * 60_000;
  const flows = opts.flows ?? syntheticFlows();
  const degrading = opts.degrading ?? "billing:";
  const badRelease = start + 0.6 * days * DAY;
  const versions = new Map(
    flows.map((f, i) => [f.workflowId, i === 0 ? [start - DAY, badRelease] : [start - DAY]]),
  );
  // Outages of the degrading connector: a few a day in the second half.
  const outages: Array<[number, number]> = [];
  for (let d = Math.ceil(days / 2); d < days; d++)
    for (let k = rng.int(2, 4); k > 0; k--) {
      const from = start + d * DAY + rng.next() * DAY;
      outages.push([from, from + rng.int(20, 60) * 60_000]);
    }
  const attemptFails = (s: SyntheticStep, t: number, flow: number, inputBytes: number) => {
    let p = 0.01;
    if (!opts.clean) {
      if (s.endpoint?.startsWith(degrading)) {
        const x = (t - start) / (end - start);
        p += x < 0.5 ? 0.02 : 0.02 + ((x - 0.5) / 0.5) * 0.28;
        if (outages.some(([a, b]) => t >= a && t < b)) p = Math.max(p, 0.8);
      }
      const hour = new Date(t).getUTCHours();
      if (s.endpoint && hour >= 13 && hour < 17) p += 0.08;
      if (inputBytes > 20_000) p += 0.1;
      if (flow === 0 && t >= badRelease && t < badRelease + 12 * HOUR) p += 0.15;
    }
    return rng.next() < p;
  };

  const runs: HistRun[] = [];
  const attempts: SyntheticHistory["attempts"] = [];
  flows.forEach((flow, fi) => {
    let t = start + rng.next() * every;
    for (let n = 0; t < end; n++, t += -Math.log(1 - rng.next()) * every) {
      const id = `r-${fi}-${n}`;
      const inputBytes = Math.round(Math.exp(6 + rng.next() * 4.5)); // ~400 B .. ~36 kB
      const saves = versions.get(flow.workflowId)!;
      const versionCreatedAt = saves.filter((v) => v <= t).pop()!;
      let clock = t;
      let failed = false;
      const mine: typeof attempts = [];
      for (const [si, step] of flow.steps.entries()) {
        let ok = false;
        const hard = rng.next() < 0.005;
        for (let a = 1; a <= 2 && !ok; a++) {
          clock += a === 1 ? rng.int(50, 800) : 1000 * 2 ** a;
          const fail = hard || (step.endpoint ? attemptFails(step, clock, fi, inputBytes) : false);
          mine.push({
            runId: id,
            stepId: step.stepId ?? `s${si}`,
            attempt: a,
            block: step.block,
            endpoint: step.endpoint,
            finishedAt: clock,
            failed: fail,
            retry: a > 1,
            breakerRefused: false,
          });
          ok = !fail;
          if (hard) break;
        }
        if (!ok) {
          failed = true;
          break;
        }
      }
      const oracle = `oracle:${id}`;
      if (opts.futureSignal)
        mine.push({
          runId: id,
          stepId: "oracle",
          attempt: 1,
          block: `oracle.call@1`,
          endpoint: oracle,
          finishedAt: t + 1,
          failed,
          retry: false,
          breakerRefused: false,
        });
      attempts.push(...mine);
      runs.push({
        id,
        workflowId: flow.workflowId,
        startedAt: t,
        finishedAt: clock + 5,
        failed,
        inputBytes,
        versionCreatedAt,
        blocks: [...new Set(flow.steps.map((s) => s.block))],
        endpoints: [
          ...new Set(flow.steps.flatMap((s) => (s.endpoint ? [s.endpoint] : []))),
          ...(opts.futureSignal ? [oracle] : []),
        ],
      });
    }
  });
  runs.sort((a, b) => a.startedAt - b.startedAt);
  return { flows, runs, attempts, versions };
}

/**
 * A 3-step flow (a pure step, a CRM lookup, a CRM update) that the prediction tests and the
 * trust and prediction benchmarks seed history for.
 */
export const crmFlowText = (name: string) => `flow: ${name}
version: 1.0.0
steps:
  - id: shape
    uses: data.transform@1
    with:
      fields: { id: "'CON-1'" }
  - id: look
    uses: crm.contact.get@1
    needs: [shape]
    with: { id: CON-1 }
  - id: update
    uses: crm.contact.update@1
    needs: [look]
    with: { id: CON-1, lifecycle: customer }
`;

/**
 * Writes a synthetic history of one saved flow version into the tables (its IR in `FlowIr`, the
 * runs, their step attempts), ending at `end`: the flow's steps as they compile, the endpoint
 * `degrading` degrading. Input sizes are a twentieth of the generator's (padding), to keep the
 * database small. Returns the history as generated.
 */
export async function seedSyntheticHistory(
  p: Db,
  opts: {
    workspaceId: string;
    workflowId: string;
    version: string;
    flowText: string;
    end: number;
    days: number;
    everyMinutes: number;
    degrading: string;
    seed?: number;
  },
): Promise<SyntheticHistory> {
  const ir = compileFlow(opts.flowText).ir;
  if (!ir) throw new Error("the flow does not compile");
  const steps = [...foldSteps(ir, () => undefined)].filter(([, s]) => s.scored);
  const h = syntheticHistory({
    seed: opts.seed ?? 11,
    days: opts.days,
    everyMinutes: opts.everyMinutes,
    start: opts.end - opts.days * 24 * HOUR,
    degrading: opts.degrading,
    flows: [
      {
        workflowId: opts.workflowId,
        name: ir.name,
        steps: steps.map(([stepId, s]) => ({ stepId, block: s.blockKey, endpoint: s.endpoint })),
      },
    ],
  });
  const irKey = `synthetic:${ir.hash}`;
  await p.$executeRawUnsafe(
    `INSERT INTO "FlowIr" ("key", "ir") VALUES ($1, $2) ON CONFLICT DO NOTHING`,
    irKey,
    JSON.stringify(ir),
  );
  const ids = new Map(h.runs.map((r) => [r.id, randomUUID()]));
  await p.$executeRawUnsafe(
    `INSERT INTO "Run" (id, "workspaceId", "workflowId", version, "irHash", "irKey", status, inputs,
                        "createdAt", "startedAt", "finishedAt")
     SELECT x.id, $1::uuid, $2::uuid, $3, $4, $5, x.status::"RunStatus",
            json_build_object('pad', repeat('x', x.pad))::jsonb, x.at, x.at, x.fin
       FROM unnest($6::uuid[], $7::text[], $8::int[], $9::timestamptz[], $10::timestamptz[])
            AS x(id, status, pad, at, fin)`,
    opts.workspaceId,
    opts.workflowId,
    opts.version,
    ir.hash,
    irKey,
    h.runs.map((r) => ids.get(r.id)),
    h.runs.map((r) => (r.failed ? "failed" : "succeeded")),
    h.runs.map((r) => Math.round(r.inputBytes / 20)),
    h.runs.map((r) => new Date(r.startedAt)),
    h.runs.map((r) => new Date(r.finishedAt!)),
  );
  await p.$executeRawUnsafe(
    `INSERT INTO "StepAttempt" ("runId", "stepId", "attempt", "status", "blockId", "idempotencyKey",
                                "startedAt", "finishedAt", "durationMs")
     SELECT x.run, x.step, x.attempt, x.status, x.block, x.run::text || x.step || x.attempt,
            x.fin, x.fin, 10
       FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::timestamptz[])
            AS x(run, step, attempt, status, block, fin)`,
    h.attempts.map((a) => ids.get(a.runId)),
    h.attempts.map((a) => a.stepId),
    h.attempts.map((a) => a.attempt),
    h.attempts.map((a) => (a.failed ? "failed" : "succeeded")),
    h.attempts.map((a) => a.block.split("@")[0]),
    h.attempts.map((a) => new Date(a.finishedAt)),
  );
  return h;
}
