/**
 * Control-flow runtimes: branch, switch, join (pure), wait (a durable timer), subflow (a child
 * run), and the fan-out markers for foreach and parallel (the engine runs those itself).
 */
import { NonRetryableError } from "../errors";
import { park, type BlockRuntime } from "../ports";
import { asObject, durationMs } from "./support";

/** `control.branch`: `{ taken: "then" | "else", value }` from a CEL condition. */
export const branchRuntime: BlockRuntime = {
  pure: true,
  execute({ inputs, services }) {
    const v = services.evaluate(String(inputs.condition ?? ""));
    if (typeof v !== "boolean")
      throw new NonRetryableError(`branch condition must be a boolean, got ${JSON.stringify(v)}`);
    return { taken: v ? "then" : "else", value: v };
  },
};

/** `control.switch`: the label of the first case whose `when` is true, else `default`. */
export const switchRuntime: BlockRuntime = {
  pure: true,
  execute({ inputs, services }) {
    const cases = Array.isArray(inputs.cases) ? inputs.cases : [];
    for (const c of cases) {
      const { label, when } = asObject(c);
      const v = services.evaluate(String(when ?? ""));
      if (typeof v !== "boolean")
        throw new NonRetryableError(`switch case "${String(label)}" must evaluate to a boolean`);
      if (v) return { case: String(label) };
    }
    return { case: typeof inputs.default === "string" ? inputs.default : "default" };
  },
};

/** `control.join`: lists the needs that succeeded (the engine decides when it is ready). */
export const joinRuntime: BlockRuntime = {
  pure: true,
  execute({ step, services }) {
    return { completed: step.source.needs.filter((id) => services.stepStatus(id) === "succeeded") };
  },
};

/** `control.wait`: parks the run until `duration` has passed or `until`. */
export const waitRuntime: BlockRuntime = {
  execute({ inputs, services }) {
    const now = services.now();
    let until: number;
    if (typeof inputs.until === "string") {
      until = Date.parse(inputs.until);
      if (Number.isNaN(until))
        throw new NonRetryableError(`invalid timestamp ${JSON.stringify(inputs.until)}`);
    } else {
      until = now + durationMs(inputs.duration);
    }
    if (until <= now) return { resumedAt: new Date(now).toISOString() };
    return park("timer", until);
  },
  resume(_req, signal) {
    if (signal.kind !== "timer")
      throw new NonRetryableError(`a wait step cannot be resumed by a ${signal.kind}`);
    return { resumedAt: new Date(signal.at).toISOString() };
  },
};

/**
 * `control.subflow`: starts `flow` (`name@major`) as a child run and, with `wait` (default),
 * parks until it finishes; its outputs become this step's `output`.
 */
export const subflowRuntime: BlockRuntime = {
  async execute({ inputs, services }) {
    const ref = String(inputs.flow ?? "");
    const { runId } = await services.startChildRun(ref, asObject(inputs.inputs));
    if (inputs.wait === false) return { runId };
    return park("subflow", undefined, { runId, flow: ref });
  },
  resume(_req, signal) {
    if (signal.kind !== "child")
      throw new NonRetryableError(`a subflow step cannot be resumed by a ${signal.kind}`);
    const c = signal.payload;
    if (c.status === "succeeded") return { runId: c.runId, output: asObject(c.output) };
    const reason = asObject(c.error).message;
    throw new NonRetryableError(
      `subflow run ${c.runId} ${c.status}${typeof reason === "string" ? `: ${reason}` : ""}`,
      {
        classification: { category: "integration", severity: "high" },
        detail: { runId: c.runId, status: c.status },
      },
    );
  },
};

/** Marker: the engine fans `control.foreach` out into one child step per item. */
export const foreachRuntime: BlockRuntime = {
  fanout: "foreach",
  execute() {
    throw new Error("control.foreach is executed by the engine's fan-out");
  },
};

/** Marker: the engine fans `control.parallel` out into one child step per branch. */
export const parallelRuntime: BlockRuntime = {
  fanout: "parallel",
  execute() {
    throw new Error("control.parallel is executed by the engine's fan-out");
  },
};
