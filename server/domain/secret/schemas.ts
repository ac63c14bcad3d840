/** Inputs of the workspace secret use cases (zod), with messages fit for a form. */
import { z } from "zod";

/** `secrets.<name>` in expressions: an identifier CEL can reach with a dot. */
export const SECRET_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Largest value, in bytes (UTF-8). */
export const SECRET_MAX_BYTES = 8 * 1024;
/** Secrets per workspace: a run decrypts them all and the redactor searches for each. */
export const SECRETS_PER_WORKSPACE = 100;
/** Shortest value: shorter ones cannot be redacted reliably (they match ordinary words). */
export const SECRET_MIN_LENGTH = 8;

const name = z
  .string()
  .trim()
  .regex(
    SECRET_NAME_RE,
    "Use 1-64 letters, digits or _, starting with a letter or _ (flows read it as secrets.NAME).",
  );

export const ZSetSecretInput = z.object({
  name,
  /** Write-only: stored encrypted, never returned. */
  value: z
    .string()
    .min(SECRET_MIN_LENGTH, `Use at least ${SECRET_MIN_LENGTH} characters, so it can be redacted.`)
    .refine(
      (v) => new TextEncoder().encode(v).length <= SECRET_MAX_BYTES,
      `Use at most ${SECRET_MAX_BYTES} bytes (8 KiB).`,
    ),
});
export type SetSecretInput = z.infer<typeof ZSetSecretInput>;

export const ZSecretNameInput = z.object({ name });
export type SecretNameInput = z.infer<typeof ZSecretNameInput>;
