import pino from "pino";
import pretty from "pino-pretty";
import { CREDENTIAL_REDACT_PATHS } from "./adapters/connectors/credentials";
import { env, type Env } from "./env";

export type LogFormat = "json" | "pretty";

/**
 * `LOG_FORMAT=json` or `pretty` is obeyed as given; `auto` (the default) writes readable lines
 * to a terminal and JSON, one object a line, to anything else (a file, a pipe, a log shipper).
 */
export function chooseLogFormat(setting: Env["LOG_FORMAT"], isTTY: boolean): LogFormat {
  if (setting === "auto") return isTTY ? "pretty" : "json";
  return setting;
}

export interface LoggerOptions {
  level: pino.LevelWithSilent;
  format: LogFormat;
  /** Where lines go; default standard output. */
  destination?: NodeJS.WritableStream;
  /** ANSI colours in pretty lines (only on a terminal). */
  colorize?: boolean;
}

const REDACT_PATHS = [
  ...new Set([
    "password",
    "*.password",
    "token",
    "*.token",
    "authorization",
    ...CREDENTIAL_REDACT_PATHS,
  ]),
];

/**
 * A pino logger. Pretty lines are formatted in-process and written synchronously (no worker
 * thread transport), so they interleave in order with what `npm start` prints itself; the same
 * redaction applies to both formats, before formatting.
 */
export function createLogger(opts: LoggerOptions): pino.Logger {
  const base: pino.LoggerOptions = {
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
  };
  if (opts.format === "pretty") {
    return pino(
      base,
      pretty({
        colorize: opts.colorize ?? false,
        singleLine: true,
        sync: true,
        translateTime: "SYS:HH:MM:ss.l",
        ignore: "pid,hostname",
        ...(opts.destination ? { destination: opts.destination } : {}),
      }),
    );
  }
  return opts.destination ? pino(base, opts.destination) : pino(base);
}

let instance: pino.Logger | undefined;
export function logger(): pino.Logger {
  if (!instance) {
    const e = env();
    const isTTY = Boolean(process.stdout.isTTY);
    instance = createLogger({
      level: e.NODE_ENV === "test" ? "silent" : e.LOG_LEVEL,
      format: chooseLogFormat(e.LOG_FORMAT, isTTY),
      colorize: isTTY,
    });
  }
  return instance;
}
