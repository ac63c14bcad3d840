/**
 * `trustflow run` (issue 16 item 10): runs one flow in a fresh sandbox session on an in-memory
 * database, with the server's own engine and runtimes, and reports each step.
 *
 * Loaded only for `run` (by `cli/trustflow.mjs`, from its own prebuilt bundle `cli/dist/run.mjs`,
 * see `cli/bundle.mjs`): `validate` and `compile` never load it. What one call does:
 *
 * 1. opens PGlite in memory and applies the project's migrations (`server/adapters/prisma`);
 * 2. builds the services with the composition root's builder (`createServices`), a local
 *    account (user and workspace) and a sandbox session whose fault profile is `--faults`;
 * 3. seeds the session's mock CRM/Billing/CLM tenant from `--dataset`, if given;
 * 4. starts the run in the session: connector steps reach only the session's mocks, agent steps
 *    the built-in demo model (or the `--scripted` model, `run-scripted.ts`), `http.request` is refused (`server/wiring/sandbox-runtimes.ts`),
 *    `code.js` and `code.python` run in the same sandboxes as on the server;
 * 5. advances it by hand until it ends. Waits (retry back-offs, timers) are not slept: the
 *    engine's clock skips ahead to the next due time. A step waiting for a person (approval,
 *    form, policy exception) is answered when `--approve` is given, else the run fails there.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { offsetToPosition } from "@/dsl";
import { createCodeSandbox, type CodeSandbox } from "@/server/adapters/code/code-runtime";
import {
  createPythonSandbox,
  type PythonSandbox,
} from "@/server/adapters/code/python/python-runtime";
import { createKeyring } from "@/server/adapters/connectors/credentials";
import { mockService } from "@/server/adapters/connectors/mock/mock-service";
import { sessionTenant } from "@/server/adapters/connectors/mock/sandbox";
import { connectorDeps } from "@/server/adapters/connectors/vault";
import type { Database } from "@/server/adapters/prisma";
import { createSession } from "@/server/domain/sandbox/sessions";
import {
  MAX_SESSION_TTL_MS,
  SANDBOX_SYSTEMS,
  ZFaultProfile,
  type FaultProfile,
} from "@/server/domain/sandbox/schemas";
import type { Actor } from "@/server/domain/types";
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import type { Engine } from "@/server/engine/engine";
import type { Clock } from "@/server/engine/ports";
import { validatorFor } from "@/server/engine/runtimes/support";
import { isTerminalRun, type AttemptRecord, type RunRecord } from "@/server/engine/types";
import { createLogger } from "@/server/logger";
import { serverRuntimes } from "@/server/wiring/run-engine";
import { createServices, type Services } from "@/server/wiring/services";
import { openRunDatabase } from "./run-database";
import { DatasetError, seedTenantFromDataset, type DatasetSeedReport } from "./run-dataset";
import { attachScriptFile, scriptOfFile } from "./run-scripted";

/** What `main.ts` hands over: the files already read (and the JSON ones parsed). */
export interface RunRequest {
  flowFile: string;
  flowText: string;
  inputs: Record<string, unknown>;
  dataset?: { file: string; text: string };
  faults?: { file: string; value: unknown };
  /** `--scripted`: a scripted model (parsed JSON) answering the agent steps. */
  scripted?: { file: string; value: unknown };
  approve: boolean;
  /** Form step id -> the values `--approve` submits. */
  forms: Map<string, Record<string, unknown>>;
  json: boolean;
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** One step of the report (`--json`: `steps[]`). */
export interface StepReport {
  id: string;
  /** The step's last attempt's status, `not_run` when it never started. */
  status: string;
  output: unknown;
  error: string | null;
}

/** The `--json` document. */
export interface RunReport {
  status: string;
  error: string | null;
  steps: StepReport[];
}

/** Engine passes (ticks) one run may take before it is given up. */
const MAX_TICKS = 2_000;
/** Blocks that wait for a person and that `--approve` answers. */
const HUMAN_BLOCKS = new Set(["human.approval", "human.form", "policy.check"]);
/** Who approves with `--approve` (the step's `decidedBy`, `submittedBy`). */
const CLI_APPROVER = "trustflow-cli (--approve)";

/** A usage or input error of the call: printed, exit code 2. */
class UsageError extends Error {}

/**
 * The engine's clock: the wall clock plus an offset that only grows. When nothing is due, the
 * loop moves it to the next due time instead of sleeping (retry back-offs, timers).
 */
class SkipAheadClock implements Clock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const t = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(t);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    });
  }
  skipTo(at: number): void {
    const now = this.now();
    if (at > now) this.offset += at - now;
  }
}

/**
 * The checkout's root: the nearest directory above this module with the project's migrations
 * (this file is `<root>/cli/run.ts`; bundled, `<root>/cli/dist/run.mjs`).
 */
const ROOT = checkoutRoot(path.dirname(fileURLToPath(import.meta.url)));

function checkoutRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "prisma", "migrations"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no Trustflow checkout above ${from}`);
  }
}

/** Runs the flow of `req`; returns the exit code (0 succeeded, 1 failed, 2 usage). */
export async function runFlow(req: RunRequest, io: Io): Promise<number> {
  let local: LocalSession | undefined;
  const t0 = performance.now();
  const lap = (what: string) =>
    process.env.TRUSTFLOW_CLI_TIMING &&
    io.err(`[${Math.round(performance.now() - t0)} ms] ${what}\n`);
  try {
    const ir = compiled(req);
    const faults = faultProfileOf(req.faults);
    const script = req.scripted ? scriptOfFile(req.scripted.file, req.scripted.value) : undefined;
    if (script && !script.ok) throw new UsageError(script.error);
    lap("compiled");
    local = await openLocalSession(faults, lap);
    lap("session open");
    if (req.scripted && script?.ok) {
      const refused = await attachScriptFile(
        local.database.prisma,
        local.actor,
        local.sessionId,
        req.scripted.file,
        script.script,
      );
      if (refused) throw new UsageError(refused);
    }
    let seeded: DatasetSeedReport | undefined;
    if (req.dataset) {
      try {
        seeded = seedTenantFromDataset(
          mockService(),
          local.tenant,
          { seed: local.seed, faults },
          req.dataset.text,
        );
      } catch (err) {
        if (err instanceof DatasetError)
          throw new UsageError(`${req.dataset.file}: ${err.message}`);
        throw err;
      }
      if (!req.json)
        io.err(`dataset ${req.dataset.file}: ${describeSeed(seeded)} in the session's mocks\n`);
    }
    const report = await execute(local, ir, req);
    lap("run ended");
    io.out(req.json ? `${JSON.stringify(report, null, 2)}\n` : humanReport(report));
    return report.status === "succeeded" ? 0 : 1;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`trustflow run: ${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    await local?.close();
  }
}

type Ir = NonNullable<ReturnType<typeof compileFlow>["ir"]>;

/** The flow's IR (with the server's registry), its inputs checked; a usage error otherwise. */
function compiled(req: RunRequest): Ir {
  const r = compileFlow(req.flowText);
  if (!r.ok || !r.ir) {
    const errors = r.diagnostics.filter((d) => d.severity === "error");
    const list = errors
      .slice(0, 5)
      .map((d) => {
        const at = offsetToPosition(req.flowText, d.span.start);
        return `  ${req.flowFile}:${at.line}:${at.column}: ${d.code}: ${d.message}`;
      })
      .join("\n");
    throw new UsageError(`${req.flowFile} does not compile:\n${list}`);
  }
  const validate = validatorFor(r.ir.inputsSchema);
  if (!validate(req.inputs)) {
    const problems = (validate.errors ?? [])
      .slice(0, 5)
      .map((e) => `${e.instancePath || "inputs"} ${e.message ?? "is invalid"}`);
    throw new UsageError(`the inputs do not match the flow: ${problems.join("; ")}`);
  }
  for (const stepId of req.forms.keys()) {
    const step = r.ir.steps.find((s) => s.id === stepId);
    if (!step || step.block.id !== "human.form")
      throw new UsageError(`--form ${stepId}=…: the flow has no human.form step "${stepId}"`);
  }
  return r.ir;
}

/**
 * The session's fault profile from `--faults`: per system (`crm`, `billing`, `clm`) the body the
 * mocks' `_faults` API takes, one rule or an array of rules.
 */
function faultProfileOf(faults: RunRequest["faults"]): FaultProfile {
  if (!faults) return {};
  const v = faults.value;
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new UsageError(
      `${faults.file}: give the fault rules per system, e.g. {"crm": {"operation": "*", "errorRate": 1}}`,
    );
  }
  const asArrays = Object.fromEntries(
    Object.entries(v).map(([k, rules]) => [k, Array.isArray(rules) ? rules : [rules]]),
  );
  const parsed = ZFaultProfile.safeParse(asArrays);
  if (!parsed.success) {
    const msg = parsed.error.issues
      .slice(0, 5)
      .map((i) =>
        i.code === "unrecognized_keys" && i.path.length === 0
          ? `unknown system ${i.keys.map((k) => `"${k}"`).join(", ")} (use ${SANDBOX_SYSTEMS.join(", ")})`
          : `${i.path.join(".") || "(root)"}: ${i.message}`,
      )
      .join("; ");
    throw new UsageError(`${faults.file}: ${msg}`);
  }
  return parsed.data;
}

/** The in-memory database, services, engine and session of one call. */
interface LocalSession {
  database: Database;
  services: Services;
  engine: Engine;
  clock: SkipAheadClock;
  actor: Actor;
  sessionId: string;
  tenant: string;
  seed: number;
  close(): Promise<void>;
}

async function openLocalSession(
  faults: FaultProfile,
  lap: (what: string) => void,
): Promise<LocalSession> {
  const database = await openRunDatabase(ROOT);
  lap("database open");
  let code: CodeSandbox | undefined;
  let python: PythonSandbox | undefined;
  const close = async () => {
    await Promise.allSettled([code?.close(), python?.close()]);
    await database.close();
  };
  try {
    // A key of this call only: nothing here is kept, and nothing is read from the data dir.
    const services = createServices(database, {
      connectors: connectorDeps(createKeyring(randomBytes(32))),
    });
    const clock = new SkipAheadClock();
    const engine = services.newEngine({
      clock,
      runtimes: serverRuntimes(database.prisma, {
        egress: services.egress,
        runs: services.runs,
        code: () =>
          (code ??= createCodeSandbox({
            workerFile: path.join(ROOT, "server", "adapters", "code", "quickjs-worker.mjs"),
          })),
        // One run: one waiting process is enough (the server keeps two).
        python: () => (python ??= createPythonSandbox({ appRoot: ROOT, warm: 1 })),
      }),
      // Human steps are answered here (or not at all), never through the approvals inbox.
      onRunParked: async () => undefined,
      logger: createLogger({
        level: cliLogLevel(),
        format: "pretty",
        destination: process.stderr,
      }),
      workerId: `trustflow-cli-${process.pid}`,
    });
    // The call's own account: it signs in nowhere (no password hash matches anything).
    const db = database.prisma;
    const user = await db.user.create({
      data: { email: "cli@trustflow.local", name: "trustflow run", passwordHash: "!" },
    });
    const workspace = await db.workspace.create({
      data: { name: "trustflow run", slug: "trustflow-run" },
    });
    await db.membership.create({
      data: { userId: user.id, workspaceId: workspace.id, role: "admin" },
    });
    lap("account created");
    const actor: Actor = {
      userId: user.id,
      label: user.email,
      workspaceId: workspace.id,
      role: "admin",
      via: "session",
    };
    const session = await createSession(database.prisma, services.sandbox, actor, {
      name: "trustflow run",
      faultProfile: faults,
      ttlMs: MAX_SESSION_TTL_MS,
    });
    return {
      database,
      services,
      engine,
      clock,
      actor,
      sessionId: session.id,
      tenant: sessionTenant(session.id),
      seed: session.seed,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The engine's log level here: TRUSTFLOW_CLI_LOG_LEVEL, `warn` by default (on stderr). */
function cliLogLevel(): "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent" {
  const v = process.env.TRUSTFLOW_CLI_LOG_LEVEL;
  return v === "fatal" ||
    v === "error" ||
    v === "info" ||
    v === "debug" ||
    v === "trace" ||
    v === "silent"
    ? v
    : "warn";
}

/** Starts the run in the session and advances it until it ends; returns the report. */
async function execute(local: LocalSession, ir: Ir, req: RunRequest): Promise<RunReport> {
  const { services, engine, clock, actor } = local;
  const { run } = await services.runs.createRun({
    id: randomUUID(),
    workspaceId: actor.workspaceId,
    workflowId: null,
    version: null,
    ir,
    inputs: req.inputs,
    startedBy: "trustflow-cli",
    startedByUserId: actor.userId,
    sandboxSessionId: local.sessionId,
    now: clock.now(),
  });
  /** A human step the run could not pass, and why (reported as the step's failure). */
  let refused: { stepId: string; message: string } | undefined;
  let ended: RunRecord | undefined;
  for (let tick = 0; tick < MAX_TICKS && !ended; tick++) {
    const advanced = await engine.tick({ limit: 10 });
    const now = await services.runs.getRun(run.id);
    if (!now) throw new Error(`run ${run.id} vanished`);
    if (isTerminalRun(now.status)) {
      ended = now;
      break;
    }
    if (advanced.length > 0) continue;
    // Nothing was due: a person, a timer or a retry back-off.
    if (now.status === "waiting") {
      const humans = waitingHumans(now, await services.runs.listAttempts(run.id));
      if (humans.length > 0) {
        for (const h of humans) {
          const answer = req.approve ? answerOf(h, req.forms) : refusal(h);
          if ("refuse" in answer) {
            refused = { stepId: h.stepId, message: answer.refuse };
            break;
          }
          await engine.resumeStep(run.id, h.stepId, answer.decision);
        }
        if (refused) {
          ended = (await engine.cancelRun(run.id, refused.message)) ?? now;
          break;
        }
        continue;
      }
    }
    const next = await nextDueAt(local);
    if (next === null) {
      refused = {
        stepId: "",
        message: "the run waits for something this local session cannot give",
      };
      ended = (await engine.cancelRun(run.id, refused.message)) ?? now;
      break;
    }
    clock.skipTo(next);
  }
  if (!ended) {
    const message = `the run did not end within ${MAX_TICKS} engine passes`;
    ended = (await engine.cancelRun(run.id, message)) ?? (await services.runs.getRun(run.id))!;
    refused = { stepId: "", message };
  }
  return reportOf(ir, ended, await services.runs.listAttempts(run.id), refused);
}

/** The earliest time an active run of the session's workspace is due, or null. */
async function nextDueAt(local: LocalSession): Promise<number | null> {
  const row = await local.database.prisma.run.findFirst({
    where: {
      workspaceId: local.actor.workspaceId,
      status: { in: ["queued", "running", "waiting"] },
      dueAt: { not: null },
    },
    orderBy: { dueAt: "asc" },
    select: { dueAt: true },
  });
  return row?.dueAt ? row.dueAt.getTime() : null;
}

interface WaitingHuman {
  stepId: string;
  blockId: string;
  /** What the step parked with (a form's `schema`). */
  data: Record<string, unknown>;
}

/** The run's steps waiting for a person (latest attempt waiting, a human block). */
function waitingHumans(run: RunRecord, attempts: AttemptRecord[]): WaitingHuman[] {
  const latest = new Map<string, AttemptRecord>();
  for (const a of attempts) {
    const prev = latest.get(a.stepId);
    if (!prev || a.attempt > prev.attempt) latest.set(a.stepId, a);
  }
  const out: WaitingHuman[] = [];
  for (const step of run.ir.steps) {
    const a = latest.get(step.id);
    if (a?.status !== "waiting" || !HUMAN_BLOCKS.has(step.block.id)) continue;
    const data =
      a.output && typeof a.output === "object" && !Array.isArray(a.output)
        ? (a.output as Record<string, unknown>)
        : {};
    out.push({ stepId: step.id, blockId: step.block.id, data });
  }
  return out;
}

type Answer =
  | { decision: { approved: true; by: string; values?: Record<string, unknown> } }
  | { refuse: string };

function refusal(h: WaitingHuman): Answer {
  const what =
    h.blockId === "human.form"
      ? "a person to submit this form"
      : h.blockId === "policy.check"
        ? "a person to approve this policy exception"
        : "a person's approval";
  return {
    refuse: `step "${h.stepId}" (${h.blockId}) waits for ${what}: run with --approve to answer it in this local session`,
  };
}

/** `--approve`'s answer: approve, or submit the form's values (given, or from its schema). */
function answerOf(h: WaitingHuman, forms: Map<string, Record<string, unknown>>): Answer {
  if (h.blockId !== "human.form") return { decision: { approved: true, by: CLI_APPROVER } };
  const given = forms.get(h.stepId);
  if (given) return { decision: { approved: true, by: CLI_APPROVER, values: given } };
  const { values, missing } = formDefaults(h.data.schema);
  if (missing.length > 0) {
    return {
      refuse: `form step "${h.stepId}" needs values for ${missing.join(", ")} (no default or example in its schema): pass --form ${h.stepId}=values.json`,
    };
  }
  return { decision: { approved: true, by: CLI_APPROVER, values } };
}

/**
 * A form's values from its schema: each property's `default`, else its first `examples` entry,
 * else its `const` or first `enum` value. Required properties with none of them are `missing`.
 */
export function formDefaults(schema: unknown): {
  values: Record<string, unknown>;
  missing: string[];
} {
  const s = (schema && typeof schema === "object" ? schema : {}) as {
    properties?: Record<string, unknown>;
    required?: unknown;
  };
  const values: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(s.properties ?? {})) {
    if (!raw || typeof raw !== "object") continue;
    const p = raw as { default?: unknown; examples?: unknown; const?: unknown; enum?: unknown };
    if (p.default !== undefined) values[name] = p.default;
    else if (Array.isArray(p.examples) && p.examples.length > 0) values[name] = p.examples[0];
    else if (p.const !== undefined) values[name] = p.const;
    else if (Array.isArray(p.enum) && p.enum.length > 0) values[name] = p.enum[0];
  }
  const required = Array.isArray(s.required)
    ? s.required.filter((r): r is string => typeof r === "string")
    : [];
  return { values, missing: required.filter((r) => !(r in values)) };
}

/** The report of an ended run: its status and each flow step's last attempt. */
function reportOf(
  ir: Ir,
  run: RunRecord,
  attempts: AttemptRecord[],
  refused: { stepId: string; message: string } | undefined,
): RunReport {
  const latest = new Map<string, AttemptRecord>();
  for (const a of attempts) {
    const prev = latest.get(a.stepId);
    if (!prev || a.attempt > prev.attempt) latest.set(a.stepId, a);
  }
  const steps = ir.steps.map((step): StepReport => {
    const a = latest.get(step.id);
    if (refused && refused.stepId === step.id)
      return { id: step.id, status: "failed", output: null, error: refused.message };
    if (!a) return { id: step.id, status: "not_run", output: null, error: null };
    return {
      id: step.id,
      status: a.status,
      output: a.status === "succeeded" || a.status === "skipped" ? (a.output ?? null) : null,
      error: a.error?.message ?? null,
    };
  });
  // A run stopped here (a person it could not ask, a wait without end) failed.
  const status = refused ? "failed" : run.status;
  return { status, error: refused?.message ?? run.error?.message ?? null, steps };
}

const MARK: Record<string, string> = {
  succeeded: "ok",
  failed: "FAILED",
  skipped: "skipped",
  not_run: "not run",
  waiting: "waiting",
  running: "running",
};

/** The report for a terminal: one block per step, then the run's status. */
export function humanReport(report: RunReport): string {
  const width = Math.max(4, ...report.steps.map((s) => s.id.length));
  const lines: string[] = [];
  for (const s of report.steps) {
    lines.push(`${s.id.padEnd(width)}  ${MARK[s.status] ?? s.status}`);
    if (s.error) lines.push(`  error: ${s.error}`);
    if (s.output !== null && s.output !== undefined) {
      const text = JSON.stringify(s.output, null, 2) ?? "null";
      lines.push(...text.split("\n").map((l) => `  ${l}`));
    }
  }
  lines.push("");
  lines.push(
    report.status === "succeeded"
      ? "run succeeded"
      : `run ${report.status}${report.error ? `: ${report.error}` : ""}`,
  );
  return `${lines.join("\n")}\n`;
}

function describeSeed(s: DatasetSeedReport): string {
  const parts = Object.entries(s.records)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`);
  return parts.length ? parts.join(", ") : "no records";
}
