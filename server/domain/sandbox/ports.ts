/** What the sandbox use cases need from the world (the mock services hold session state). */

/** The mock services' state of sandbox sessions, in this process. */
export interface SandboxMockState {
  /** Drops every mock system's state of `sessionId` (a closed or expired session). */
  drop(sessionId: string): void;
}

export interface SandboxDeps {
  mockState: SandboxMockState;
  /** Epoch milliseconds. Default `Date.now`. */
  now?: () => number;
}
