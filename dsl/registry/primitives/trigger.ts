/** Trigger blocks: what starts a run. A flow's `trigger:` section compiles to one of them. */
import type { BlockDefinition } from "../../types";
import { obj, str, timestamp } from "./json-schema";

const trigger = {
  kind: "trigger",
  sideEffect: "none",
  baselineTrust: 0.99,
  tags: ["trigger"],
} satisfies Partial<BlockDefinition>;

/** Trigger blocks. */
export const triggerBlocks: BlockDefinition[] = [
  {
    ...trigger,
    id: "trigger.webhook",
    version: "1.0.0",
    title: "Webhook",
    docs: "Starts a run when a signed webhook delivers `event`. An optional CEL `filter` over `payload` drops the events it is false for. Deliveries are deduplicated by their id.",
    inputSchema: obj(
      {
        event: str("Event name, e.g. `clm.contract.signed`", { pattern: "^[a-z][a-z0-9_.-]*$" }),
        filter: str("CEL over `payload`"),
        secret: str("Secret name used to verify the signature", { pattern: "^[A-Z][A-Z0-9_]*$" }),
      },
      ["event"],
    ),
    outputSchema: obj(
      { event: str(), deliveryId: str(), payload: { type: "object" }, receivedAt: timestamp },
      ["event", "deliveryId", "payload", "receivedAt"],
    ),
    example: { event: "clm.contract.signed" },
  },
  {
    ...trigger,
    id: "trigger.schedule",
    version: "1.0.0",
    title: "Schedule",
    docs: "Starts a run on a cron schedule (5 fields), in `timezone` (IANA, default UTC). Missed ticks while the system was down run once, not once per tick.",
    inputSchema: obj(
      {
        cron: str("Five-field cron expression", { pattern: "^\\S+( \\S+){4}$" }),
        timezone: str("IANA time zone", { pattern: "^[A-Za-z_]+(/[A-Za-z_+-]+)*$" }),
      },
      ["cron"],
    ),
    outputSchema: obj({ firedAt: timestamp, scheduledFor: timestamp }, ["firedAt", "scheduledFor"]),
    example: { cron: "0 6 * * 1-5", timezone: "Europe/Berlin" },
  },
  {
    ...trigger,
    id: "trigger.manual",
    version: "1.0.0",
    title: "Manual",
    docs: "Starts a run from the studio or the API, with inputs typed by the flow's `inputs`.",
    inputSchema: obj({ allowedRoles: { type: "array", items: str(), uniqueItems: true } }),
    outputSchema: obj({ startedBy: str(), startedAt: timestamp }, ["startedBy", "startedAt"]),
    example: {},
  },
];
