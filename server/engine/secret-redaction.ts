/**
 * Keeps a run's workspace secrets (`secrets.<name>` in expressions) out of everything the engine
 * writes: step attempts (inputs, output, error), run events, dead letters, the run's output and
 * error, tasks, sub-flow inputs, ledger entries and log lines. The values reach the runtimes (a
 * step's evaluated inputs) and nothing else; every write passes through the one redactor,
 * {@link redactSecrets} (`./redact.ts`).
 *
 * A consequence worth knowing: what is stored is what a resumed run reads back, so a secret
 * passed on through a step's output arrives redacted downstream. Reference `secrets.<name>` in the
 * step that needs the value instead.
 */
import type { EngineLogger, RunAuditEntry, RunStore } from "./ports";
import { redactSecrets } from "./redact";
import type { Checkpoint } from "./ports";

/** The string values of a workspace's secrets (what the redactor searches for). */
export function secretValuesOf(secrets: Record<string, unknown>): string[] {
  return Object.values(secrets).filter((v): v is string => typeof v === "string" && v !== "");
}

/**
 * Whether a compiled flow reads `secrets` anywhere (an expression reference, or a string with
 * `secrets.x` or `secrets["x"]` in it): flows that do not are run without loading (and decrypting) the workspace's secrets.
 */
export function usesSecrets(ir: object): boolean {
  let known = reads.get(ir);
  if (known === undefined) {
    known = scanForSecrets(ir);
    reads.set(ir, known);
  }
  return known;
}

/** Per compiled flow object (inline runs share the cached IR of their flow version). */
const reads = new WeakMap<object, boolean>();

/** `secrets.x` or `secrets["x"]` inside a string (bare CEL that a block evaluates itself). */
const SECRETS_ACCESS = /\bsecrets\s*[.[]/;

function scanForSecrets(ir: unknown): boolean {
  const stack: unknown[] = [ir];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === "string") {
      if (SECRETS_ACCESS.test(v)) return true;
    } else if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else if (v !== null && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (o.root === "secrets") return true;
      for (const x of Object.values(o)) stack.push(x);
    }
  }
  return false;
}

/**
 * A checkpoint with every secret value replaced in its data (ids, keys and statuses untouched).
 * One walk of the redactor over all the data fields (its pattern is built once per checkpoint).
 */
export function redactCheckpoint(cp: Checkpoint, values: readonly string[]): Checkpoint {
  const r = redactSecrets(
    {
      attempts: cp.attempts?.map((a) => [a.inputs, a.output, a.error] as const),
      start: cp.start?.inputs,
      finish: cp.finish
        ? ([cp.finish.output, cp.finish.error, cp.finish.answer?.body] as const)
        : undefined,
      tasks: cp.tasks?.map((t) => t.payload),
      deadLetters: cp.deadLetters?.map((d) => [d.inputs, d.error] as const),
      events: cp.events?.map((e) => e.data),
      run: cp.run ? ([cp.run.output, cp.run.error] as const) : undefined,
      audit: cp.audit?.map((a) => a.payload),
    },
    values,
  );
  const out: Checkpoint = { ...cp };
  if (cp.attempts && r.attempts) {
    const data = r.attempts;
    out.attempts = cp.attempts.map((a, i) => ({
      ...a,
      inputs: data[i]![0],
      output: data[i]![1],
      error: data[i]![2],
    }));
  }
  if (cp.start) out.start = { ...cp.start, inputs: r.start };
  if (cp.finish && r.finish) {
    out.finish = { ...cp.finish };
    if ("output" in cp.finish) out.finish.output = r.finish[0];
    if ("error" in cp.finish) out.finish.error = r.finish[1];
    if (cp.finish.answer) out.finish.answer = { ...cp.finish.answer, body: r.finish[2] };
  }
  if (cp.tasks && r.tasks) {
    const data = r.tasks;
    out.tasks = cp.tasks.map((t, i) => ({ ...t, payload: data[i] }));
  }
  if (cp.deadLetters && r.deadLetters) {
    const data = r.deadLetters;
    out.deadLetters = cp.deadLetters.map((d, i) => ({
      ...d,
      inputs: data[i]![0],
      error: data[i]![1],
    }));
  }
  if (cp.events && r.events) {
    const data = r.events;
    out.events = cp.events.map((e, i) => (e.data === undefined ? e : { ...e, data: data[i] }));
  }
  if (cp.run && r.run) {
    out.run = { ...cp.run };
    if ("output" in cp.run) out.run.output = r.run[0];
    if ("error" in cp.run) out.run.error = r.run[1];
  }
  if (cp.audit && r.audit) {
    const data = r.audit;
    out.audit = cp.audit.map((a, i) => ({ ...a, payload: data[i]! }));
  }
  return out;
}

/** A ledger entry with every secret value replaced in its payload. */
export function redactAuditEntry(entry: RunAuditEntry, values: readonly string[]): RunAuditEntry {
  return values.length === 0 ? entry : { ...entry, payload: redactSecrets(entry.payload, values) };
}

/**
 * The store of one advance, redacting what it writes with the run's secret values (read when
 * each write happens: the values are loaded after the advance is built). Without secret values it
 * passes every call through untouched.
 */
export function redactingRunStore(store: RunStore, values: () => readonly string[]): RunStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "commit") {
        return (runId: string, owner: string | null, cp: Checkpoint) => {
          const v = values();
          return target.commit(runId, owner, v.length ? redactCheckpoint(cp, v) : cp);
        };
      }
      if (prop === "createRun") {
        return (run: Parameters<RunStore["createRun"]>[0]) => {
          const v = values();
          return target.createRun(
            v.length ? { ...run, inputs: redactSecrets(run.inputs, v) } : run,
          );
        };
      }
      if (prop === "signal") {
        return (runId: string, task: Parameters<RunStore["signal"]>[1]) => {
          const v = values();
          return target.signal(
            runId,
            v.length ? { ...task, payload: redactSecrets(task.payload, v) } : task,
          );
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === "function"
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}

/** A logger whose every line has the run's secret values replaced. */
export function redactingLogger(log: EngineLogger, values: () => readonly string[]): EngineLogger {
  const line =
    (level: "debug" | "info" | "warn" | "error") =>
    (obj: Record<string, unknown>, msg?: string) => {
      const v = values();
      if (v.length === 0) return log[level](obj, msg);
      log[level](redactSecrets(obj, v), msg === undefined ? msg : redactSecrets(msg, v));
    };
  return {
    child: (bindings) => redactingLogger(log.child(bindings), values),
    debug: line("debug"),
    info: line("info"),
    warn: line("warn"),
    error: line("error"),
  };
}
