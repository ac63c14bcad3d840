/**
 * What the compiler is given besides the text: the block resolver, trust scores, the workspace's
 * directory and the policies a flow may name.
 */
import type { BlockDefinition, PolicyDocument, TrustProvider } from "../types";

/** The registry API the compiler needs (implemented by `BlockRegistry`). */
export interface BlockResolver {
  resolve(uses: string):
    | { ok: true; block: BlockDefinition; deprecated?: string }
    | {
        ok: false;
        reason: "unknown-block" | "unknown-major" | "too-old";
        message: string;
        hint?: string;
      };
  get(id: string, major?: number): BlockDefinition | undefined;
}

/** Options of `compile()` and `validate()`. */
export interface CompileOptions {
  registry: BlockResolver;
  /** Current trust scores; default: the blocks' baseline trust. */
  trust?: TrustProvider;
  /**
   * Forces the severity of "trust below minimum" diagnostics (`TF3040`, `TF3041`). Default: from
   * the gate's `below`: `halt` (the default) is an error, `approval` a warning.
   */
  trustSeverity?: "warning" | "error";
  /**
   * The workspace's directory. When given, approvals and forms that address an unknown `group:`
   * or a `users:` email that is not a member get `TF3060`. Without it they are not checked.
   */
  directory?: FlowDirectory;
  /** Policy documents a flow may name in `policies:` (default: none besides the defaults). */
  policies?: PolicyDocument[];
  /** Workspace-enforced policies, `name@major`, applied to every flow. */
  enforcedPolicies?: string[];
}

/** The groups and members of a workspace, for addressing checks (see `CompileOptions.directory`). */
export interface FlowDirectory {
  /** Group names, e.g. `finance`. */
  groups: readonly string[];
  /** Members' emails (compared case-insensitively). */
  users: readonly string[];
}

/** What happens when a trust score is under its minimum. */
export type TrustBelow = "halt" | "approval";

/** Where each block that addresses people takes its assignees (`role` | `group` | `users`). */
export const ADDRESSING_INPUTS: Readonly<Record<string, string>> = {
  "human.approval": "approvers",
  "human.form": "assignees",
  "policy.check": "approvers",
};
