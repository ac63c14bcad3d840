import type { z } from "zod";
import { getTemplate } from "@/dsl";
import { AppError } from "../errors";
import { workspaceDirectory } from "../group/workspace-directory";
import type { Actor, Db } from "../types";
import type { ZCreateFromTemplateInput } from "./schemas";
import { createWorkflow, flowSlug } from "./workflows";

const GROUP_LINE = /^(\s*)group: ([a-z][a-z0-9-]*)\b.*$/gm;

/**
 * A template's text for a workspace: each `group: <name>` the workspace does not have becomes
 * `role: approver` (its approvers and admins), with a comment saying so, so the flow compiles and
 * runs on its first try in any workspace (the demo workspace has the templates' groups).
 */
export function adaptTemplateGroups(text: string, groups: readonly string[]): string {
  return text.replace(GROUP_LINE, (line, indent: string, name: string) =>
    groups.includes(name)
      ? line
      : `${indent}role: approver # this workspace has no group \`${name}\`: create it in Settings → Groups and address it with \`group: ${name}\``,
  );
}

/**
 * Creates a workflow whose draft is a template, its `flow:` renamed after the workflow and its
 * groups adapted to the workspace ({@link adaptTemplateGroups}).
 */
export async function createFromTemplate(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZCreateFromTemplateInput>,
) {
  const template = getTemplate(input.template);
  if (!template) {
    throw new AppError("INVALID_INPUT", {
      message: `Unknown template "${input.template}".`,
      details: { field: "template" },
    });
  }
  const { groups } = await workspaceDirectory(db, actor.workspaceId);
  const dsl = adaptTemplateGroups(
    template.text.replace(/^flow: .*$/m, `flow: ${flowSlug(input.name)}`),
    groups,
  );
  return createWorkflow(db, actor, { name: input.name, description: input.description, dsl });
}
