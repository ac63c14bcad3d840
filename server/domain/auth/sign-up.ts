import { appendAudit } from "../audit/ledger";
import { AppError } from "../errors";
import type { Db } from "../types";
import { slugify, uniqueSlug } from "../workspace/slug";
import { hashPassword } from "./password";
import { assertPasswordPolicy } from "./password-policy";
import type { SignUpInput } from "./schemas";

/**
 * What every sign-up answers, whether the email was new or not: there is no mail to confirm an
 * address, so the answer cannot say more without telling a stranger which emails have accounts.
 */
export const SIGN_UP_ANSWER = {
  status: "received",
  message:
    "Thanks. If this email had no account, it has one now: sign in with this email and password. If it already had one, it is unchanged: sign in with its password.",
} as const;
export type SignUpAnswer = typeof SIGN_UP_ANSWER;

/**
 * Creates a user with a workspace of their own (as admin); the first entry of that workspace's
 * ledger records the sign-up. CONFLICT when the email has an account (callers that face the
 * public use `signUp`, which does not tell). The password policy applies first, and the password
 * is hashed before the email is looked up, so both outcomes cost the same scrypt work.
 */
export async function createAccount(db: Db, input: SignUpInput) {
  assertPasswordPolicy(input.password, [input.email, input.name]);
  const passwordHash = await hashPassword(input.password);
  const existing = await db.user.findUnique({
    where: { email: input.email },
    select: { id: true },
  });
  if (existing) throw accountExists();
  const wsName = input.workspaceName ?? `${input.name}'s workspace`;
  try {
    return await db.$transaction(async (tx) => {
      const user = await tx.user.create({
        data: { email: input.email, name: input.name, passwordHash },
      });
      const slug = await uniqueSlug(tx, slugify(wsName));
      const workspace = await tx.workspace.create({ data: { name: wsName, slug } });
      await tx.membership.create({
        data: { userId: user.id, workspaceId: workspace.id, role: "admin" },
      });
      await appendAudit(
        tx,
        { userId: user.id, label: user.email, workspaceId: workspace.id },
        {
          action: "user.sign-up",
          subjectType: "user",
          subjectId: user.id,
          payload: { email: user.email, workspace: workspace.slug },
        },
      );
      return { user: { id: user.id, email: user.email, name: user.name }, workspace };
    });
  } catch (err) {
    // Two sign-ups for one email at once: the unique index decides.
    if ((err as { code?: string }).code === "P2002") throw accountExists();
    throw err;
  }
}

function accountExists() {
  return new AppError("CONFLICT", {
    message: "An account with this email already exists.",
    details: { field: "email" },
  });
}

/**
 * Public sign-up: creates the account when the email is new and answers `SIGN_UP_ANSWER` either
 * way, leaving an existing account untouched. Bad input (a weak password, a malformed email)
 * is still refused field by field: that depends on the input only, never on who has an account.
 */
export async function signUp(db: Db, input: SignUpInput): Promise<SignUpAnswer> {
  try {
    await createAccount(db, input);
  } catch (err) {
    if (!(err instanceof AppError && err.code === "CONFLICT")) throw err;
  }
  return SIGN_UP_ANSWER;
}
