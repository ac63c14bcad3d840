import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { parseEnv } from "./env";
import { chooseLogFormat, createLogger, type LogFormat } from "./logger";

function capture(format: LogFormat) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ level: "info", format, destination }), lines };
}

describe("log format", () => {
  it("is readable on a terminal and JSON elsewhere unless LOG_FORMAT says otherwise", () => {
    expect(chooseLogFormat("auto", true)).toBe("pretty");
    expect(chooseLogFormat("auto", false)).toBe("json");
    expect(chooseLogFormat("json", true)).toBe("json");
    expect(chooseLogFormat("pretty", false)).toBe("pretty");
  });

  it("reads LOG_FORMAT from the environment, auto by default, and names a bad value", () => {
    expect(parseEnv({}).LOG_FORMAT).toBe("auto");
    expect(parseEnv({ LOG_FORMAT: "json" }).LOG_FORMAT).toBe("json");
    expect(() => parseEnv({ LOG_FORMAT: "xml" })).toThrow(/LOG_FORMAT/);
  });

  it("writes one JSON object a line in the json format", () => {
    const { logger, lines } = capture("json");
    logger.info({ runId: "r1" }, "run started");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, msg: "run started", runId: "r1" });
  });

  it("writes a readable line without pid or hostname in the pretty format", () => {
    const { logger, lines } = capture("pretty");
    logger.warn({ runId: "r1" }, "lease lost");
    const text = lines.join("\n");
    expect(lines).toHaveLength(1);
    expect(text).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] WARN: lease lost \{"runId":"r1"\}$/);
    expect(text).not.toMatch(/pid|hostname/);
    expect(() => JSON.parse(lines[0]!)).toThrow();
  });

  it("redacts secrets in both formats", () => {
    for (const format of ["json", "pretty"] as const) {
      const { logger, lines } = capture(format);
      logger.info({ password: "hunter2", user: { token: "tok-123" } }, "signed in");
      const text = lines.join("\n");
      expect(text).not.toContain("hunter2");
      expect(text).not.toContain("tok-123");
      expect(text).toContain("[redacted]");
    }
  });
});
