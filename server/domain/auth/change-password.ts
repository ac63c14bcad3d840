import { AppError } from "../errors";
import type { Db } from "../types";
import type { Authenticator } from "./authenticate";
import { hashPassword } from "./password";
import { assertPasswordPolicy } from "./password-policy";
import type { ChangePasswordInput } from "./schemas";
import { revokeAllSessions } from "./sessions";

/**
 * Changes the signed-in user's password. The current password is checked by the sign-in
 * `Authenticator` (with its back-off, so a stolen session cannot guess it quickly); the new one
 * must pass the password policy. Every session of the user ends, this one included: whoever
 * knew the old password or held a session cookie is out, and the user signs in again.
 */
export async function changePassword(
  db: Db,
  auth: Authenticator,
  user: { id: string; email: string; name: string },
  input: ChangePasswordInput,
  address: string,
  now = new Date(),
) {
  try {
    await auth.authenticate(user.email, input.currentPassword, address);
  } catch (err) {
    if (err instanceof AppError && err.code === "UNAUTHENTICATED") {
      throw new AppError("INVALID_INPUT", {
        message: err.message.replace("Wrong email or password", "The current password is wrong"),
        details: { field: "currentPassword" },
      });
    }
    throw err;
  }
  if (input.newPassword === input.currentPassword) {
    throw new AppError("INVALID_INPUT", {
      message: "Choose a password different from the current one.",
      details: { field: "newPassword" },
    });
  }
  assertPasswordPolicy(input.newPassword, [user.email, user.name], "newPassword");
  const passwordHash = await hashPassword(input.newPassword);
  const revoked = await db.$transaction(async (tx) => {
    await tx.user.update({
      where: { id: user.id },
      data: { passwordHash, passwordChangedAt: now },
    });
    return revokeAllSessions(tx, user.id, now);
  });
  return { changedAt: now, sessionsEnded: revoked };
}
