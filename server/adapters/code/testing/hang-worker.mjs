// A test worker for the code sandbox's watchdog: flags its start like the real worker, then
// blocks its thread for a minute (no interrupt handler can end this).
export default function run(task) {
  if (task.started) Atomics.store(task.started, 0, 1);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
  return { ok: true, resultJson: "null", logs: [] };
}
