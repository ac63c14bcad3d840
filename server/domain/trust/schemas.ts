import { z } from "zod";
import type { TRUST_KINDS } from "./score";

/** Which entities to list: block versions, connector endpoints, models or flow versions. */
export const ZTrustKind = z.enum(
  ["block", "endpoint", "model", "flow"] satisfies typeof TRUST_KINDS,
  {
    error: "Use one of: block, endpoint, model, flow.",
  },
);

export const ZListTrustInput = z.object({
  kind: ZTrustKind.default("block"),
  limit: z.number().int().min(1).max(500).default(100),
  /** The `key` of the last entry of the previous page. */
  cursor: z.string().min(1).max(600).optional(),
});
export type ListTrustInput = z.infer<typeof ZListTrustInput>;
