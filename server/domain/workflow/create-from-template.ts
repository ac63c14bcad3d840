import type { z } from "zod";
import { getTemplate } from "@/dsl/templates";
import { AppError } from "../errors";
import type { Actor, Db } from "../types";
import type { ZCreateFromTemplateInput } from "./schemas";
import { createWorkflow, flowSlug } from "./workflows";

/** Creates a workflow whose draft is a template, its `flow:` renamed after the workflow. */
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
  const dsl = template.text.replace(/^flow: .*$/m, `flow: ${flowSlug(input.name)}`);
  return createWorkflow(db, actor, { name: input.name, description: input.description, dsl });
}
