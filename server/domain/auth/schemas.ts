import { z } from "zod";

export const ZEmail = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, "Email is too long.")
  .pipe(z.email("Enter a valid email address."));
/** New passwords: at least 12 characters (NIST SP 800-63B asks for 8; a passphrase is easy at 12). */
export const MIN_PASSWORD_LENGTH = 12;
export const ZPassword = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters.`)
  .max(200, "Use at most 200 characters.");
export const ZDisplayName = z
  .string()
  .trim()
  .min(1, "Enter your name.")
  .max(100, "Use at most 100 characters.");

export const ZSignUpInput = z.object({
  email: ZEmail,
  name: ZDisplayName,
  password: ZPassword,
  workspaceName: z.string().trim().min(1).max(80).optional(),
});
export type SignUpInput = z.infer<typeof ZSignUpInput>;

export const ZSignInInput = z.object({
  email: ZEmail,
  password: z.string().min(1, "Enter your password.").max(200),
});

export const ZChangePasswordInput = z.object({
  currentPassword: z.string().min(1, "Enter your current password.").max(200),
  newPassword: ZPassword,
});
export type ChangePasswordInput = z.infer<typeof ZChangePasswordInput>;
