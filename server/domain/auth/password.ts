import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { processSingleton } from "@/server/process-state";

/**
 * Passwords are hashed with scrypt, a memory-hard KDF (N=2^15, r=8, p=1: 32 MiB per hash,
 * OWASP's recommended minimum is N=2^17 with r=8 or 2^15 with higher p; we keep N in the hash so
 * it can be raised later and old hashes still verify).
 * Format: `scrypt$N$r$p$<salt b64>$<hash b64>`.
 */
const DEFAULTS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEYLEN = 32;

/**
 * scrypt's N for new hashes: DEFAULTS.N unless configured (`PASSWORD_SCRYPT_N`). One value per
 * process (process-state.ts): the boot configures it in one of Next's bundles, and sign-up runs
 * in another.
 */
const hashing = () =>
  processSingleton<{ N: number }>("password-hashing", () => ({ N: DEFAULTS.N }));

/** The N a deployment may choose: powers of two from 2^10 to 2^20. */
export const SCRYPT_N_RANGE = { min: 2 ** 10, max: 2 ** 20, default: DEFAULTS.N } as const;

/** Whether `n` is an N `configurePasswordHashing` accepts. */
export function validScryptN(n: number): boolean {
  return (
    Number.isInteger(n) && n >= SCRYPT_N_RANGE.min && n <= SCRYPT_N_RANGE.max && (n & (n - 1)) === 0
  );
}

/**
 * Sets scrypt's N for new hashes in this process (the boot does, from `PASSWORD_SCRYPT_N`; the
 * integration tests lower it: their fixtures create ~300 accounts). Raising it strengthens new
 * hashes on faster hardware; lowering it (below 2^15) is for test servers only. Verifying reads
 * N from the stored hash, so hashes made at another N keep working.
 */
export function configurePasswordHashing(over: { N: number }): void {
  if (!validScryptN(over.N)) {
    throw new Error(
      `scrypt N must be a power of two from ${SCRYPT_N_RANGE.min} to ${SCRYPT_N_RANGE.max}, not ${over.N}.`,
    );
  }
  hashing().N = over.N;
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
  const { N } = hashing();
  const { r, p } = DEFAULTS;
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
