/**
 * Connector credentials, encrypted at rest with AES-256-GCM (node:crypto).
 *
 * - Key: `TRUSTFLOW_CREDENTIALS_KEY`, 32 bytes in base64. Its id (`k` + 12 hex digits of its
 *   SHA-256) is stored with every ciphertext, so a row says which key sealed it.
 * - Rotation: put the previous key(s) in `TRUSTFLOW_CREDENTIALS_KEYS_OLD` (comma-separated
 *   base64) and the new one in `TRUSTFLOW_CREDENTIALS_KEY`; decryption accepts any known key and
 *   `rotateCredentials` re-encrypts every row with the current one. Then drop the old key.
 * - Without the variable, on the embedded database (no `DATABASE_URL`), development and
 *   production alike: a random key is created once in `<TRUSTFLOW_DATA_DIR>/credentials.key`
 *   (mode 0600, next to the data it protects; `.data/` is git-ignored). Creation is atomic: the key
 *   is written to a temporary file and hard-linked into place without overwriting, so two
 *   processes starting at once end with one key. Tests get an in-memory key. Production on
 *   PostgreSQL (`DATABASE_URL` set) needs the variable: several machines must share one key, so a
 *   local file would be wrong; the server refuses to boot without it (server/env.ts).
 * - Each ciphertext is bound to its workspace and connector (GCM additional data): a row copied
 *   to another connector does not decrypt. A changed byte fails the GCM tag check.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";

/** What a credential row stores (all base64 but `keyId`). */
export interface SealedSecret {
  ciphertext: string;
  iv: string;
  tag: string;
  keyId: string;
}

export interface Keyring {
  currentKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
}

export class CredentialError extends Error {
  override name = "CredentialError";
}

/** `k` + the first 12 hex digits of the key's SHA-256: identifies a key without revealing it. */
export function keyIdOf(key: Buffer): string {
  return `k${createHash("sha256").update(key).digest("hex").slice(0, 12)}`;
}

function decodeKey(text: string, name: string): Buffer {
  const key = Buffer.from(text.trim(), "base64");
  if (key.length !== 32) {
    throw new CredentialError(
      `${name} must be 32 bytes in base64 (e.g. \`openssl rand -base64 32\`), got ${key.length} bytes`,
    );
  }
  return key;
}

/** A keyring from a current key and older ones (for decryption during a rotation). */
export function createKeyring(current: Buffer, old: Buffer[] = []): Keyring {
  const keys = new Map<string, Buffer>();
  for (const k of old) keys.set(keyIdOf(k), k);
  keys.set(keyIdOf(current), current);
  return { currentKeyId: keyIdOf(current), keys };
}

/**
 * The keyring from the environment (see the module comment for development and test defaults).
 */
export function keyringFromEnv(env: Record<string, string | undefined> = process.env): Keyring {
  const old = (env.TRUSTFLOW_CREDENTIALS_KEYS_OLD ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s, i) => decodeKey(s, `TRUSTFLOW_CREDENTIALS_KEYS_OLD[${i}]`));
  if (env.TRUSTFLOW_CREDENTIALS_KEY) {
    return createKeyring(
      decodeKey(env.TRUSTFLOW_CREDENTIALS_KEY, "TRUSTFLOW_CREDENTIALS_KEY"),
      old,
    );
  }
  const mode = env.NODE_ENV ?? "development";
  if (mode === "test") return createKeyring(testKey(), old);
  if (mode === "production" && env.DATABASE_URL) {
    throw new CredentialError(MISSING_KEY_ON_POSTGRES);
  }
  return createKeyring(
    devKey(path.join(env.TRUSTFLOW_DATA_DIR || ".data", "credentials.key")),
    old,
  );
}

/** Why production on PostgreSQL needs the variable (also the boot error, server/env.ts). */
export const MISSING_KEY_ON_POSTGRES =
  "TRUSTFLOW_CREDENTIALS_KEY is not set: with DATABASE_URL in production every server and worker must share one credentials key (32 bytes, base64: `openssl rand -base64 32`)";

let ephemeral: Buffer | undefined;
function testKey(): Buffer {
  ephemeral ??= randomBytes(32);
  return ephemeral;
}

/**
 * Reads the key file, creating it with a random key the first time. The key is written to a
 * private temporary file, then hard-linked to `file` (which fails if `file` exists, never
 * overwrites): whichever process links first wins, and every process reads back the winner.
 */
export function devKey(file: string): Buffer {
  if (existsSync(file)) return decodeKey(readFileSync(file, "utf8"), file);
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  writeFileSync(tmp, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  try {
    chmodSync(tmp, 0o600); // the umask may have narrowed it further; never wider
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    unlinkSync(tmp);
  }
  return decodeKey(readFileSync(file, "utf8"), file);
}

let shared: Keyring | undefined;
/** The process-wide keyring, read from the environment once. */
export function defaultKeyring(): Keyring {
  shared ??= keyringFromEnv();
  return shared;
}

/** Encrypts `plaintext` with the current key; `aad` binds it to its owner (not secret). */
export function sealSecret(keyring: Keyring, plaintext: string, aad: string): SealedSecret {
  const key = keyring.keys.get(keyring.currentKeyId)!;
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return {
    ciphertext: ciphertext.toString("base64"),
    iv: iv.toString("base64"),
    tag: cipher.getAuthTag().toString("base64"),
    keyId: keyring.currentKeyId,
  };
}

/** Decrypts with the key named by `sealed.keyId`; throws on an unknown key or a failed tag. */
export function openSecret(keyring: Keyring, sealed: SealedSecret, aad: string): string {
  const key = keyring.keys.get(sealed.keyId);
  if (!key) {
    throw new CredentialError(
      `credential was encrypted with key ${sealed.keyId}, which is not configured (add it to TRUSTFLOW_CREDENTIALS_KEYS_OLD)`,
    );
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(sealed.iv, "base64"));
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(Buffer.from(sealed.tag, "base64"));
    return Buffer.concat([
      decipher.update(Buffer.from(sealed.ciphertext, "base64")),
      decipher.final(),
    ]).toString("utf8");
  } catch (err) {
    throw new CredentialError(
      "credential failed its integrity check (tampered, or bound to another connector)",
      {
        cause: err,
      },
    );
  }
}

/** Re-encrypts with the current key when sealed with another; null when already current. */
export function resealSecret(
  keyring: Keyring,
  sealed: SealedSecret,
  aad: string,
): SealedSecret | null {
  if (sealed.keyId === keyring.currentKeyId) return null;
  return sealSecret(keyring, openSecret(keyring, sealed, aad), aad);
}

/**
 * Pino redact paths for anything that may carry a credential: add them to the root logger's
 * `redact.paths` (server/logger.ts); `connectorLogger` applies them already.
 */
export const CREDENTIAL_REDACT_PATHS = [
  "secret",
  "*.secret",
  "clientSecret",
  "*.clientSecret",
  "password",
  "*.password",
  "apiKey",
  "*.apiKey",
  "key",
  "auth.key",
  "auth.token",
  "auth.password",
  "auth.clientSecret",
  "*.auth.key",
  "*.auth.token",
  "*.auth.password",
  "*.auth.clientSecret",
  "authorization",
  "headers.authorization",
  "*.headers.authorization",
  'headers["x-api-key"]',
  "ciphertext",
  "*.ciphertext",
  "token",
  "*.token",
  "access_token",
  "*.access_token",
];
