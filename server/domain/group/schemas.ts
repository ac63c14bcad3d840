/** Inputs of the workspace group use cases (zod), with messages fit for a form. */
import { z } from "zod";

/**
 * A group's name, as flows address it (`approvers: { group: finance }`): a lower-case slug. A
 * subset of the DSL's `group` pattern (`GROUP_NAME_PATTERN`), so every group can be addressed.
 */
export const GROUP_NAME_RE = /^[a-z][a-z0-9-]{0,39}$/;
/** Longest description, in characters. */
export const GROUP_DESCRIPTION_MAX = 200;
/** Groups per workspace: every design-time compile reads them all (the directory). */
export const GROUPS_PER_WORKSPACE = 100;

const name = z
  .string("Enter a group name.")
  .trim()
  .regex(
    GROUP_NAME_RE,
    "Use 1-40 lower-case letters, digits or -, starting with a letter (flows address it as group: NAME).",
  );
const description = z
  .string()
  .trim()
  .max(GROUP_DESCRIPTION_MAX, `Use at most ${GROUP_DESCRIPTION_MAX} characters.`);
const groupId = z.uuid("Not a group id.");

export const ZCreateGroupInput = z.object({ name, description: description.optional() });
export type CreateGroupInput = z.input<typeof ZCreateGroupInput>;

/** Renames and/or describes a group: at least one of `name` and `description`. */
export const ZUpdateGroupInput = z
  .object({ id: groupId, name: name.optional(), description: description.optional() })
  .refine((v) => v.name !== undefined || v.description !== undefined, {
    message: "Give a new name or description.",
    path: ["name"],
  });
export type UpdateGroupInput = z.input<typeof ZUpdateGroupInput>;

export const ZGroupIdInput = z.object({ id: groupId });
export type GroupIdInput = z.input<typeof ZGroupIdInput>;

export const ZGroupMemberInput = z.object({
  groupId,
  /** A user who is a member of the workspace (`workspace.members`). */
  userId: z.uuid("Not a user id."),
});
export type GroupMemberInput = z.input<typeof ZGroupMemberInput>;
