import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";

/**
 * Passwords are hashed with scrypt, a memory-hard KDF (N=2^15, r=8, p=1: 32 MiB per hash,
 * OWASP's recommended minimum is N=2^17 with r=8 or 2^15 with higher p; we keep N in the hash so
 * it can be raised later and old hashes still verify).
 * Format: `scrypt$N$r$p$<salt b64>$<hash b64>`.
 */
const DEFAULTS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEYLEN = 32;

/** The cost of new hashes: DEFAULTS, except where the integration tests lowered it. */
let cost: { N: number; r: number; p: number } = DEFAULTS;

/**
 * Integration tests only (refused unless NODE_ENV=test): new hashes at a lower scrypt N. Their
 * fixtures create ~300 accounts, at ~0.1-0.2 CPU-seconds each at N=2^15 on this machine: a fifth
 * of the PostgreSQL pass's CPU for nothing those tests check. Verifying reads N from the stored
 * hash, so sign-in, password changes and the dummy hash work as in production; the unit tests
 * check the production cost.
 */
export function lowerHashCostForTests(N: number): void {
  if (process.env.NODE_ENV !== "test") {
    throw new Error("lowerHashCostForTests is for the test suite only (NODE_ENV=test).");
  }
  cost = { ...DEFAULTS, N };
}

function scrypt(password: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(
      password,
      salt,
      KEYLEN,
      { ...opts, maxmem: 128 * opts.N! * opts.r! * 2 },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p } = cost;
  const key = await scrypt(password, salt, { N, r, p });
  return ["scrypt", N, r, p, salt.toString("base64"), key.toString("base64")].join("$");
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [, n, r, p, saltB64, hashB64] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hashB64, "base64");
  const key = await scrypt(password, Buffer.from(saltB64, "base64"), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash of a random password, compared against when the user does not exist (equal timing). */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString("hex"));
  return dummy;
}
