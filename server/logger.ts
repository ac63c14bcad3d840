import pino from "pino";
import { env } from "./env";

/** JSON logs in production, readable lines in development (pino-pretty, in-process). */
function createLogger() {
  const e = env();
  const pretty = e.NODE_ENV === "development" && process.stdout.isTTY;
  return pino({
    level: e.NODE_ENV === "test" ? "silent" : e.LOG_LEVEL,
    redact: {
      paths: ["password", "*.password", "token", "*.token", "authorization"],
      censor: "[redacted]",
    },
    ...(pretty
      ? { transport: { target: "pino-pretty", options: { colorize: true, singleLine: true } } }
      : {}),
  });
}

let instance: pino.Logger | undefined;
export function logger(): pino.Logger {
  instance ??= createLogger();
  return instance;
}
