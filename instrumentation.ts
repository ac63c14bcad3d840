/**
 * Runs once when the server starts: validates the environment (a clear message naming each bad
 * variable), builds the process's services (`server/composition.ts`: opens, migrates and seeds
 * the database before the first request) and starts run execution (stopped gracefully on
 * SIGTERM/SIGINT).
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { env } = await import("./server/env");
  env();
  const { startServerProcess, exposeWebhookFrontEnd } = await import("./server/composition");
  await startServerProcess();
  // For scripts/serve.mjs, which answers webhooks before Next.js (one handler, two front ends).
  const webhook = await import("./server/webhook-endpoint");
  exposeWebhookFrontEnd({
    answer: webhook.answerWebhook,
    tooLarge: webhook.tooLarge,
    maxBodyBytes: webhook.MAX_WEBHOOK_BODY_BYTES,
  });
}
