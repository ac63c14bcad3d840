/**
 * The runs of a sandbox session (issue 16), newest first: what the Sandbox page lists under a
 * session and links to the run view.
 */
import { z } from "zod";
import { isDraftRun } from "@/server/engine/run-kind";
import { notFound } from "../errors";
import type { Actor, Db } from "../types";
import { mayUse } from "./sessions";

export const ZSessionRunsInput = z.object({
  id: z.uuid("Not a session id."),
  limit: z.number().int().min(1).max(100).default(20),
});

/** The latest runs started in a session `actor` may use. */
export async function listSessionRuns(
  db: Db,
  actor: Actor,
  raw: z.input<typeof ZSessionRunsInput>,
) {
  const input = ZSessionRunsInput.parse(raw);
  const session = await db.sandboxSession.findFirst({
    where: { id: input.id, workspaceId: actor.workspaceId },
    select: { createdBy: true, sharedWith: true },
  });
  if (!session || !mayUse(session, actor)) throw notFound("Sandbox session");
  const rows = await db.run.findMany({
    where: { workspaceId: actor.workspaceId, sandboxSessionId: input.id },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit,
    select: {
      id: true,
      workflowId: true,
      version: true,
      status: true,
      startedBy: true,
      createdAt: true,
      finishedAt: true,
    },
  });
  const names = new Map(
    (
      await db.workflow.findMany({
        where: {
          workspaceId: actor.workspaceId,
          id: { in: [...new Set(rows.flatMap((r) => (r.workflowId ? [r.workflowId] : [])))] },
        },
        select: { id: true, name: true },
      })
    ).map((w) => [w.id, w.name]),
  );
  return rows.map((r) => ({
    ...r,
    draft: isDraftRun(r),
    workflowName: r.workflowId ? (names.get(r.workflowId) ?? null) : null,
  }));
}
