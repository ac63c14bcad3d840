/**
 * Runs once when the server starts: validates the environment (a clear message naming each bad
 * variable) and opens, migrates and seeds the database before the first request.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { env } = await import("./server/env");
  env();
  const { database, startWorker } = await import("./server/db");
  await database();
  const worker = await startWorker();
  if (worker) {
    const stop = () => void worker.stop().finally(() => process.exit(0));
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  }
}
