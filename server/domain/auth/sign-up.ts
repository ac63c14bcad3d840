import { appendAudit } from "../audit/ledger";
import { AppError } from "../errors";
import type { Db } from "../types";
import { slugify, uniqueSlug } from "../workspace/slug";
import { hashPassword } from "./password";
import type { SignUpInput } from "./schemas";

/**
 * Creates a user with a workspace of their own (as admin). The first entry of that workspace's
 * ledger records the sign-up.
 */
export async function signUp(db: Db, input: SignUpInput) {
  const existing = await db.user.findUnique({ where: { email: input.email } });
  if (existing) {
    throw new AppError("CONFLICT", {
      message: "An account with this email already exists. Sign in instead.",
      details: { field: "email" },
    });
  }
  const passwordHash = await hashPassword(input.password);
  const wsName = input.workspaceName ?? `${input.name}'s workspace`;
  return db.$transaction(async (tx) => {
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
}
