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

  it("takes scrypt's N as a power of two from 1024, 32768 by default", () => {
    expect(parseEnv({}).PASSWORD_SCRYPT_N).toBe(32768);
    expect(parseEnv({ PASSWORD_SCRYPT_N: "1024" }).PASSWORD_SCRYPT_N).toBe(1024);
    expect(parseEnv({ PASSWORD_SCRYPT_N: "131072" }).PASSWORD_SCRYPT_N).toBe(131072);
    for (const bad of ["1000", "512", "2097152", "fast"]) {
      expect(() => parseEnv({ PASSWORD_SCRYPT_N: bad })).toThrow(
        /PASSWORD_SCRYPT_N: must be a power of two from 1024 to 1048576/,
      );
    }
  });

  it("treats empty strings as unset", () => {
    expect(parseEnv({ DATABASE_URL: "" }).DATABASE_URL).toBeUndefined();
  });
});
