import pino from "pino";
import { CREDENTIAL_REDACT_PATHS } from "./adapters/connectors/credentials";
import { env } from "./env";

/** JSON logs in production, readable lines in development (pino-pretty, in-process). */
function createLogger() {
  const e = env();
  const pretty = e.NODE_ENV === "development" && process.stdout.isTTY;
  return pino({
    level: e.NODE_ENV === "test" ? "silent" : e.LOG_LEVEL,
    redact: {
      paths: [
        ...new Set([
          "password",
          "*.password",
          "token",
          "*.token",
          "authorization",
          ...CREDENTIAL_REDACT_PATHS,
        ]),
      ],
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
