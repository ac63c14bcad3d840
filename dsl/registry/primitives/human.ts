/** Human-in-the-loop blocks: the run parks durably until a person acts. */
import type { BlockDefinition, JsonSchema } from "../../types";
import { arr, duration, jsonSchemaValue, obj, oneOfValues, str, timestamp } from "./json-schema";

/** The roles of a workspace's members: what `role:` may address. */
export const WORKSPACE_ROLES = ["viewer", "editor", "approver", "admin"] as const;

/** Names of workspace groups (as the `WorkspaceGroup` table stores them). */
export const GROUP_NAME_PATTERN = "^[a-z0-9][a-z0-9_-]{0,62}$";

/**
 * Who decides a human step (or a policy exception): exactly one of a workspace `role`, a
 * workspace `group` or named `users` (emails). Compiled with a directory, unknown groups and
 * members are diagnostics (`TF3060`).
 */
export const assignees: JsonSchema = obj(
  {
    role: oneOfValues(
      [...WORKSPACE_ROLES],
      "Workspace role: `approver` (approvers and admins decide), `admin`, `editor` or `viewer`",
    ),
    group: str("Workspace group, e.g. `finance` (Settings → Groups)", {
      pattern: GROUP_NAME_PATTERN,
    }),
    users: arr(str("Email of a workspace member", { minLength: 3, maxLength: 254 }), {
      minItems: 1,
      maxItems: 20,
      uniqueItems: true,
    }),
  },
  [],
  {
    minProperties: 1,
    maxProperties: 1,
    description: "Exactly one of `role`, `group` or `users`",
  },
);
const human = {
  kind: "human",
  sideEffect: "none",
  baselineTrust: 0.97,
  tags: ["human"],
} satisfies Partial<BlockDefinition>;

/** Human blocks. */
export const humanBlocks: BlockDefinition[] = [
  {
    ...human,
    id: "human.approval",
    version: "1.2.0",
    title: "Approval",
    docs: "Asks approvers (a workspace `role`, a workspace `group`, or named `users`) to approve or reject, with a `message`. After `timeout` the run follows `onTimeout` (default `reject`).\n\n- `minApprovals` approvals are needed (default 1); any rejection rejects.\n- A rejection fails the step, so later steps do not run and compensations do.",
    inputSchema: obj(
      {
        approvers: assignees,
        message: str(undefined, { minLength: 1, maxLength: 5000 }),
        timeout: duration,
        onTimeout: oneOfValues(["reject", "approve", "escalate"]),
        minApprovals: { type: "integer", minimum: 1, maximum: 10, default: 1 },
      },
      ["approvers", "message"],
    ),
    outputSchema: obj(
      {
        approved: { type: "boolean" },
        decidedBy: arr(str()),
        decidedAt: timestamp,
        comment: str(),
        timedOut: { type: "boolean" },
      },
      ["approved", "decidedBy", "decidedAt", "timedOut"],
    ),
    example: {
      approvers: { group: "finance" },
      message: "Approve a credit limit above 50k EUR?",
      timeout: "48h",
    },
  },
  {
    ...human,
    id: "human.form",
    version: "1.1.0",
    title: "Form",
    docs: "Asks a person to fill a form whose fields are described by a JSON Schema; the submitted values are validated against it.",
    inputSchema: obj(
      {
        assignees,
        title: str(undefined, { minLength: 1, maxLength: 200 }),
        schema: jsonSchemaValue,
        prefill: { type: "object" },
        timeout: duration,
      },
      ["assignees", "title", "schema"],
    ),
    outputSchema: obj({ values: { type: "object" }, submittedBy: str(), submittedAt: timestamp }, [
      "values",
      "submittedBy",
      "submittedAt",
    ]),
    example: {
      assignees: { users: ["ops@example.com"] },
      title: "Confirm the billing contact",
      schema: { type: "object", required: ["email"], properties: { email: { type: "string" } } },
    },
  },
];
