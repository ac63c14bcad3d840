/** What the sandbox use cases need from the world (the mock services hold session state). */
import type { FaultProfile } from "./schemas";

/** The mock services' state of sandbox sessions, in this process. */
export interface SandboxMockState {
  /** Drops every mock system's state of `sessionId` (a closed or expired session). */
  drop(sessionId: string): void;
  /**
   * Whether dataset rows are mock records a session can start from (`dataset-state.ts` of the
   * mocks): null, or the first problem ("Row 3: ...").
   */
  checkDataset?(rows: readonly Record<string, unknown>[]): string | null;
  /** Applies a session's new fault rules to its live mock state (its data is kept). */
  setFaults?(sessionId: string, profile: FaultProfile): void;
}

export interface SandboxDeps {
  mockState: SandboxMockState;
  /** Epoch milliseconds. Default `Date.now`. */
  now?: () => number;
}
