import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { credentialAad } from "@/server/domain/connector/types";
import {
  CREDENTIAL_REDACT_PATHS,
  createKeyring,
  CredentialError,
  devKey,
  keyIdOf,
  keyringFromEnv,
  openSecret,
  resealSecret,
  sealSecret,
} from "./credentials";

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const aad = credentialAad("ws-1", "conn-1");

describe("AES-256-GCM credentials", () => {
  it("encrypts and decrypts; the ciphertext does not contain the secret; each seal has a fresh IV", () => {
    const ring = createKeyring(k1);
    const a = sealSecret(ring, "sk_live_abcdef123456", aad);
    const b = sealSecret(ring, "sk_live_abcdef123456", aad);
    expect(a.keyId).toBe(keyIdOf(k1));
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toContain("sk_live");
    expect(Buffer.from(a.ciphertext, "base64").toString()).not.toContain("abcdef");
    expect(openSecret(ring, a, aad)).toBe("sk_live_abcdef123456");
  });

  it("detects tampering (GCM tag) of the ciphertext, the tag, and a move to another connector", () => {
    const ring = createKeyring(k1);
    const s = sealSecret(ring, "secret-value-1", aad);
    const bytes = Buffer.from(s.ciphertext, "base64");
    bytes[0]! ^= 1;
    expect(() => openSecret(ring, { ...s, ciphertext: bytes.toString("base64") }, aad)).toThrow(
      CredentialError,
    );
    const tag = Buffer.from(s.tag, "base64");
    tag[3]! ^= 0x80;
    expect(() => openSecret(ring, { ...s, tag: tag.toString("base64") }, aad)).toThrow(/integrity/);
    expect(() => openSecret(ring, s, credentialAad("ws-1", "conn-2"))).toThrow(/integrity/);
  });

  it("rotates: an old key still decrypts, reseal moves the row to the current key", () => {
    const old = sealSecret(createKeyring(k1), "rotate-me-please", aad);
    const ring = createKeyring(k2, [k1]);
    expect(openSecret(ring, old, aad)).toBe("rotate-me-please");
    const next = resealSecret(ring, old, aad)!;
    expect(next.keyId).toBe(keyIdOf(k2));
    expect(openSecret(createKeyring(k2), next, aad)).toBe("rotate-me-please");
    expect(resealSecret(ring, next, aad)).toBeNull();
    expect(() => openSecret(createKeyring(k2), old, aad)).toThrow(/TRUSTFLOW_CREDENTIALS_KEYS_OLD/);
  });

  it("reads keys from the environment, with clear errors", () => {
    const ring = keyringFromEnv({
      TRUSTFLOW_CREDENTIALS_KEY: k2.toString("base64"),
      TRUSTFLOW_CREDENTIALS_KEYS_OLD: `${k1.toString("base64")}`,
    });
    expect(ring.currentKeyId).toBe(keyIdOf(k2));
    expect([...ring.keys.keys()].sort()).toEqual([keyIdOf(k1), keyIdOf(k2)].sort());
    expect(() => keyringFromEnv({ TRUSTFLOW_CREDENTIALS_KEY: "c2hvcnQ=" })).toThrow(/32 bytes/);
    expect(() =>
      keyringFromEnv({ NODE_ENV: "production", DATABASE_URL: "postgres://db/trustflow" }),
    ).toThrow(/TRUSTFLOW_CREDENTIALS_KEY is not set/);
    expect(keyringFromEnv({ NODE_ENV: "test" }).keys.size).toBe(1);
  });

  it("in development creates the key file once (mode 0600) and reuses it", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tf-cred-"));
    const ring = keyringFromEnv({ NODE_ENV: "development", TRUSTFLOW_DATA_DIR: dir });
    const file = path.join(dir, "credentials.key");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(keyringFromEnv({ NODE_ENV: "development", TRUSTFLOW_DATA_DIR: dir }).currentKeyId).toBe(
      ring.currentKeyId,
    );
    expect(devKey(file).toString("base64")).toBe(readFileSync(file, "utf8").trim());
  });

  it("the pino redact paths keep secrets out of logs", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const log = pino({ redact: { paths: CREDENTIAL_REDACT_PATHS, censor: "[redacted]" } }, sink);
    log.info(
      { secret: "s3cret-AAA", input: { secret: "s3cret-BBB", clientSecret: "s3cret-CCC" } },
      "setCredential",
    );
    log.info({
      endpoint: { auth: { type: "bearer", token: "s3cret-DDD" } },
      headers: { authorization: "Bearer s3cret-EEE" },
    });
    log.info({ credential: { ciphertext: "s3cret-FFF" } });
    const text = lines.join("");
    expect(text).not.toMatch(/s3cret-/);
    expect(text).toContain("[redacted]");
  });
});
