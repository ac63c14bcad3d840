/** Inputs of the egress allow-list use cases (zod), with messages fit for a form. */
import { z } from "zod";
import { parseAddress } from "./address";

/**
 * A host name (`api.partner.example`, `localhost`) or an address literal (`10.0.0.5`, `::1`,
 * `[::1]`): no scheme, port, path or wildcard. Stored lower case.
 */
export const ZEgressHost = z
  .string()
  .trim()
  .toLowerCase()
  .min(1, "Enter a host name or address.")
  .max(253, "Use at most 253 characters.")
  .transform((h) => h.replace(/^\[(.*)\]$/, "$1").replace(/\.$/, ""))
  .refine(
    (h) =>
      /^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?)*$/.test(h) ||
      parseAddress(h) !== null,
    "Give only a host name or an IP address, e.g. api.partner.example or 10.0.0.5 (no scheme, port or path).",
  );

export const ZAllowEgressHostInput = z.object({
  host: ZEgressHost,
  /** Plain http to this host too (default: https only). */
  allowHttp: z.boolean().default(false),
  /** Private, loopback and link-local addresses of this host (default: yes, that is the point). */
  allowPrivate: z.boolean().default(true),
  reason: z.string().trim().max(500, "Use at most 500 characters.").default(""),
});
export type AllowEgressHostInput = z.input<typeof ZAllowEgressHostInput>;

export const ZRemoveEgressHostInput = z.object({ id: z.uuid("Not an allow-list entry id.") });
export type RemoveEgressHostInput = z.infer<typeof ZRemoveEgressHostInput>;
