/**
 * The workspace's outbound allow-list (`EgressAllow`): the hosts flows and connectors may reach
 * although they are private, loopback or link-local addresses, or over plain http. Workspace
 * admins only; every change is a ledger entry in the same transaction.
 */
import { normalizeHost } from "./policy";
import { appendAudit } from "../audit/ledger";
import { AppError, notFound } from "../errors";
import { hasRole, type Actor, type Db } from "../types";
import {
  ZAllowEgressHostInput,
  type AllowEgressHostInput,
  type RemoveEgressHostInput,
} from "./schemas";

const select = {
  id: true,
  host: true,
  allowHttp: true,
  allowPrivate: true,
  reason: true,
  createdAt: true,
} as const;

function requireAdmin(actor: Actor) {
  if (!hasRole(actor.role, "admin")) {
    throw new AppError("FORBIDDEN", {
      message: "Only a workspace admin may change the outbound allow-list.",
    });
  }
}

/** The workspace's allow-list, by host. */
export async function listEgressHosts(db: Db, actor: Actor) {
  return db.egressAllow.findMany({
    where: { workspaceId: actor.workspaceId },
    orderBy: { host: "asc" },
    select,
  });
}

/** Allows `host` (or changes its entry). */
export async function allowEgressHost(db: Db, actor: Actor, raw: AllowEgressHostInput) {
  requireAdmin(actor);
  const input = ZAllowEgressHostInput.parse(raw);
  const host = normalizeHost(input.host);
  return db.$transaction(async (tx) => {
    const prior = await tx.egressAllow.findUnique({
      where: { workspaceId_host: { workspaceId: actor.workspaceId, host } },
      select,
    });
    const data = {
      allowHttp: input.allowHttp,
      allowPrivate: input.allowPrivate,
      reason: input.reason,
    };
    const row = prior
      ? await tx.egressAllow.update({ where: { id: prior.id }, data, select })
      : await tx.egressAllow.create({
          data: { ...data, workspaceId: actor.workspaceId, host, createdById: actor.userId },
          select,
        });
    await appendAudit(tx, actor, {
      action: prior ? "egress.allow.update" : "egress.allow",
      subjectType: "egress_allow",
      subjectId: row.id,
      payload: { host, ...data },
    });
    return row;
  });
}

/** Removes an entry: the host is refused again from the next call on. */
export async function removeEgressHost(db: Db, actor: Actor, input: RemoveEgressHostInput) {
  requireAdmin(actor);
  return db.$transaction(async (tx) => {
    const row = await tx.egressAllow.findFirst({
      where: { id: input.id, workspaceId: actor.workspaceId },
      select,
    });
    if (!row) throw notFound("Allow-list entry");
    await tx.egressAllow.delete({ where: { id: row.id } });
    await appendAudit(tx, actor, {
      action: "egress.allow.remove",
      subjectType: "egress_allow",
      subjectId: row.id,
      payload: { host: row.host },
    });
    return { id: row.id };
  });
}
