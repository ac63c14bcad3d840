import { Writable } from "node:stream";
import pino from "pino";

/**
 * A pino logger at `trace` that keeps every line it writes in `lines`, for tests that check what
 * reached the logs (e.g. that a secret did not).
 */
export function captureLogs() {
  const lines: string[] = [];
  const logger = pino(
    { level: "trace" },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString("utf8"));
        done();
      },
    }),
  );
  return { logger, lines };
}
