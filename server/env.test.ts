import { describe, expect, it } from "vitest";
import { parseEnv } from "./env";

describe("environment", () => {
  it("defaults to the embedded database", () => {
    const e = parseEnv({});
    expect(e.DATABASE_URL).toBeUndefined();
    expect(e.TRUSTFLOW_DATA_DIR).toBe(".data");
  });

  it("names every bad variable", () => {
    expect(() =>
      parseEnv({
        DATABASE_URL: "mysql://x",
        NEXTAUTH_SECRET: "short",
        NEXTAUTH_URL: "nope",
        SIGNIN_MAX_ATTEMPTS: "0",
      }),
    ).toThrow(
      /DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL[\s\S]*NEXTAUTH_SECRET: must be at least 32 characters[\s\S]*NEXTAUTH_URL: must be an absolute URL[\s\S]*SIGNIN_MAX_ATTEMPTS/,
    );
  });

  it("treats empty strings as unset", () => {
    expect(parseEnv({ DATABASE_URL: "" }).DATABASE_URL).toBeUndefined();
  });
});
