/**
 * The server's egress guard: allow-lists from the `EgressAllow` table, limits from the
 * environment (`EGRESS_MAX_RESPONSE_BYTES`, `EGRESS_TIMEOUT_MS`, `EGRESS_MAX_REDIRECTS`), the
 * built-in mock services in-process (`mock://<system>`), every call counted (`metrics.ts`).
 */
import type { PrismaClient } from "@/server/adapters/prisma";
import { mockInProcess, MOCK_SCHEME } from "@/server/adapters/connectors/mock/in-process";
import { env, type Env } from "@/server/env";
import {
  createEgressGuard,
  type EgressGuard,
  type EgressGuardOptions,
  type EgressLimits,
} from "./guard";
import { recordEgressCall } from "./metrics";
import type { EgressRule } from "@/server/domain/egress/policy";

/** The allow-list of a workspace, read per call (one indexed query; changes apply at once). */
export function prismaAllowList(
  db: Pick<PrismaClient, "egressAllow">,
): (workspaceId: string) => Promise<EgressRule[]> {
  return (workspaceId) =>
    db.egressAllow.findMany({
      where: { workspaceId },
      select: { host: true, allowHttp: true, allowPrivate: true },
    });
}

/** The limits of the environment (validated in `server/env.ts`). */
export function egressLimitsFromEnv(e: Env = env()): EgressLimits {
  return {
    maxResponseBytes: e.EGRESS_MAX_RESPONSE_BYTES,
    timeoutMs: e.EGRESS_TIMEOUT_MS,
    maxRedirects: e.EGRESS_MAX_REDIRECTS,
  };
}

/** The guard of the server process on `db`. */
export function serverEgressGuard(
  db: Pick<PrismaClient, "egressAllow">,
  overrides: Partial<EgressGuardOptions> = {},
): EgressGuard {
  return createEgressGuard({
    allowList: prismaAllowList(db),
    limits: egressLimitsFromEnv(),
    inProcess: { [MOCK_SCHEME]: mockInProcess() },
    onCall: recordEgressCall,
    ...overrides,
  });
}
