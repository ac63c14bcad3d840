/**
 * Whether a sandbox session's mock state survives (issue 16), for the sandbox routing
 * (`sandbox-runtimes.ts`): the state lives in this process's mock services; a session whose runs
 * changed it is recorded once (`server/domain/sandbox/session-state.ts`), and a connector call of
 * such a session in a process that no longer holds its state (a restart, an eviction) fails with
 * "fork again" instead of reaching a silently re-forked copy.
 */
import { mockService } from "@/server/adapters/connectors/mock/mock-service";
import { lostStateOf, markSessionStateChanged } from "@/server/domain/sandbox/session-state";
import type { Db } from "@/server/domain/types";
import { NonRetryableError } from "@/server/engine/errors";

/** Sessions this process already recorded as changed (their state is here while it holds it). */
const MAX_REMEMBERED = 5_000;

export interface SessionMockState {
  /** Throws the "fork again" error when this process lost the session's changed state. */
  assertHeld(workspaceId: string, target: { tenant: string; sessionId?: string }): Promise<void>;
  /** Records (once per process while it holds the state) that a write changed it. */
  changed(workspaceId: string, target: { tenant: string; sessionId?: string }): Promise<void>;
}

export function sessionMockState(db: Db): SessionMockState {
  const recorded = new Set<string>();
  return {
    async assertHeld(workspaceId, target) {
      if (!target.sessionId || mockService().hasTenant(target.tenant)) return;
      // Not held here: a first use (nothing to lose), or a state lost with its process.
      recorded.delete(target.sessionId);
      const lost = await lostStateOf(db, workspaceId, target.sessionId);
      if (lost) {
        throw new NonRetryableError(lost, {
          classification: { category: "validation", severity: "high" },
          detail: { sandboxSessionId: target.sessionId, stateLost: true },
        });
      }
    },
    async changed(workspaceId, target) {
      if (!target.sessionId || recorded.has(target.sessionId)) return;
      await markSessionStateChanged(db, workspaceId, target.sessionId);
      if (recorded.size >= MAX_REMEMBERED) recorded.delete(recorded.values().next().value!);
      recorded.add(target.sessionId);
    },
  };
}
