// The code.js sandbox's worker thread (a piscina worker; see code-runtime.ts). Plain JavaScript,
// loaded by path at run time, outside the Next.js bundles.
//
// Each call gets a fresh QuickJS runtime and context (quickjs-ng, WebAssembly). Nothing of the
// host is reachable from the code: the context has QuickJS's own built-ins, `inputs` (a copy,
// parsed from JSON inside QuickJS), and `console.log`/`console.error`, which only collect lines.
// Limits: the deadline interrupts the interpreter (the pool's watchdog terminates the thread if
// that does not end it); QuickJS's allocation limit, and under it the WebAssembly memory's
// maximum, which no allocation can pass, strings and typed arrays included (the module's memory
// is created here with `maximum` set, so growing beyond the cap fails inside QuickJS as "out of
// memory"); QuickJS's stack limit; caps on the result's JSON and on the log lines.
// A call that leaves the module in doubt (a host-side error, a failed dispose, memory grown past
// half the cap) replaces the module: WebAssembly memory never shrinks, and a fresh module costs
// ~30 ms.
import { newQuickJSWASMModuleFromVariant, newVariant } from "quickjs-emscripten-core";
import baseVariant from "@jitl/quickjs-ng-wasmfile-release-sync";

const PAGE = 64 * 1024;
const MAX_LOG_LINES = 200;
const MAX_LOG_LINE = 2000;

/** The loaded module and the memory cap it was made with. */
let current = null;

async function moduleFor(capBytes) {
  if (current && current.capBytes === capBytes && !current.spoiled) return current;
  const maximum = Math.max(1, Math.ceil(capBytes / PAGE));
  const memory = new WebAssembly.Memory({ initial: Math.min(256, maximum), maximum });
  const quickjs = await newQuickJSWASMModuleFromVariant(
    newVariant(baseVariant, { wasmMemory: memory }),
  );
  current = { quickjs, memory, capBytes, spoiled: false };
  return current;
}

/** A seeded Math.random and a fixed clock (sandbox sessions: byte-identical outputs). */
const determinism = (seed, nowMs) => `(() => {
  let s = ${seed >>> 0} || 1;
  Math.random = () => { s |= 0; s = (s + 0x6d2b79f5) | 0; let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  const RealDate = Date; const fixed = ${Number(nowMs)};
  globalThis.Date = class extends RealDate { constructor(...a) { a.length ? super(...a) : super(fixed); }
    static now() { return fixed; } };
})();`;

/**
 * Runs one call. `task`: { source, inputsJson, timeoutMs, memoryBytes, stackBytes,
 * maxOutputBytes, seed?, nowMs? }. Answers { ok: true, resultJson, logs } or
 * { ok: false, kind: "error" | "timeout" | "memory" | "output" | "internal", name, message, logs }.
 */
export default async function run(task) {
  const mod = await moduleFor(task.memoryBytes);
  // The pool's watchdog counts the deadline from here.
  if (task.started) Atomics.store(task.started, 0, 1);
  const deadline = Date.now() + task.timeoutMs;
  const logs = [];
  let interrupted = false;
  let answer;
  let rt;
  let vm;
  try {
    rt = mod.quickjs.newRuntime();
    // QuickJS's own accounting, under the WebAssembly cap (its runtime structures need room).
    rt.setMemoryLimit(Math.max(1 << 20, task.memoryBytes - (4 << 20)));
    rt.setMaxStackSize(task.stackBytes);
    rt.setInterruptHandler(() => (interrupted = Date.now() > deadline));
    vm = rt.newContext();
    // Out of memory while making its own error object, QuickJS throws an empty one: the
    // memory's high-water mark tells.
    const exhausted = () => mod.memory.buffer.byteLength >= 0.75 * mod.capBytes;
    answer = evaluate(vm, task, logs, () => interrupted, exhausted);
  } catch (err) {
    // A host-side error (e.g. the interpreter's native stack): the module is not trusted again.
    mod.spoiled = true;
    const message = String(err?.message ?? err);
    answer = /call stack|stack size/i.test(message)
      ? {
          ok: false,
          kind: "error",
          name: "RangeError",
          message: "Maximum call stack size exceeded",
        }
      : { ok: false, kind: "internal", name: "InternalError", message };
  } finally {
    try {
      vm?.dispose();
      rt?.dispose();
    } catch {
      mod.spoiled = true;
    }
  }
  if (mod.memory.buffer.byteLength > mod.capBytes / 2) mod.spoiled = true;
  return { ...answer, logs };
}

function evaluate(vm, task, logs, wasInterrupted, exhausted) {
  const consoleObj = vm.newObject();
  for (const level of ["log", "info", "warn", "error", "debug"]) {
    const fn = vm.newFunction(level, (...args) => {
      if (logs.length >= MAX_LOG_LINES) return;
      const line = args
        .map((h) => {
          const v = vm.typeof(h) === "string" ? vm.getString(h) : JSON.stringify(vm.dump(h));
          return String(v);
        })
        .join(" ");
      logs.push(line.length > MAX_LOG_LINE ? line.slice(0, MAX_LOG_LINE) + "…" : line);
    });
    vm.setProp(consoleObj, level, fn);
    fn.dispose();
  }
  vm.setProp(vm.global, "console", consoleObj);
  consoleObj.dispose();
  const input = vm.newString(task.inputsJson);
  vm.setProp(vm.global, "__tf_in", input);
  input.dispose();
  const prelude = vm.evalCode(
    `globalThis.inputs = JSON.parse(globalThis.__tf_in); delete globalThis.__tf_in;` +
      (task.seed !== undefined ? determinism(task.seed, task.nowMs ?? 0) : ""),
    "prelude.js",
  );
  if (prelude.error) {
    const e = vm.dump(prelude.error);
    prelude.error.dispose();
    return { ok: false, kind: "error", name: "InputError", message: String(e?.message ?? e) };
  }
  prelude.value.dispose();

  // The last expression's value, or — when the code returns — the function body's result.
  let r = vm.evalCode(task.source, "code.js");
  if (r.error) {
    const e = vm.dump(r.error);
    if (e?.name === "SyntaxError" && /return/i.test(String(e?.message))) {
      r.error.dispose();
      r = vm.evalCode(`(function () {\n${task.source}\n})()`, "code.js");
    } else {
      r.error.dispose();
      return failure(e, wasInterrupted(), exhausted());
    }
  }
  if (r.error) {
    const e = vm.dump(r.error);
    r.error.dispose();
    return failure(e, wasInterrupted(), exhausted());
  }
  vm.setProp(vm.global, "__tf_out", r.value);
  r.value.dispose();
  const size = vm.evalCode(
    `globalThis.__tf_json = JSON.stringify(globalThis.__tf_out === undefined ? null : globalThis.__tf_out);
     typeof globalThis.__tf_json === "string" ? globalThis.__tf_json.length : -1`,
    "result.js",
  );
  if (size.error) {
    const e = vm.dump(size.error);
    size.error.dispose();
    return failure(
      { name: e?.name ?? "TypeError", message: `The result is not JSON: ${e?.message ?? e}` },
      wasInterrupted(),
      exhausted(),
    );
  }
  const length = vm.getNumber(size.value);
  size.value.dispose();
  if (length < 0)
    return {
      ok: false,
      kind: "error",
      name: "TypeError",
      message: "The result is not JSON (a function or a symbol).",
    };
  // UTF-16 units: a cheap upper bound before the string crosses into the host.
  if (length > task.maxOutputBytes)
    return {
      ok: false,
      kind: "output",
      name: "RangeError",
      message: `The result is ${length} characters of JSON; the limit is ${task.maxOutputBytes}.`,
    };
  const json = vm.getProp(vm.global, "__tf_json");
  const resultJson = vm.getString(json);
  json.dispose();
  return { ok: true, resultJson };
}

function failure(e, interrupted, exhausted) {
  const name = String(e?.name ?? "Error");
  const message = String(e?.message ?? e ?? "");
  if (interrupted || message === "interrupted")
    return {
      ok: false,
      kind: "timeout",
      name: "TimeoutError",
      message: "The code ran past its deadline.",
    };
  if (
    /out of memory|string too long|invalid array buffer length|array too long/i.test(message) ||
    (!message && exhausted)
  )
    return { ok: false, kind: "memory", name, message: `The code ran out of memory (${message}).` };
  return { ok: false, kind: "error", name, message };
}
