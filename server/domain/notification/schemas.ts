/** Inputs of the notification use cases (tRPC now, the REST API later). */
import { z } from "zod";
import { NOTIFICATION_KINDS } from "./types";

export const ZListNotificationsInput = z
  .object({
    unreadOnly: z.boolean().default(false),
    cursor: z.string().uuid().optional(),
    limit: z.number().int().min(1).max(100).default(20),
  })
  .default({ unreadOnly: false, limit: 20 });

export const ZMarkReadInput = z.object({ ids: z.array(z.string().uuid()).min(1).max(100) });

/** `u` as a URL, or null when it is none (the `.url()` check reports that; zod runs every check). */
function urlOrNull(u: string): URL | null {
  try {
    return new URL(u);
  } catch {
    return null;
  }
}

/** An endpoint URL: absolute http(s), no credentials inside (the egress guard checks the rest). */
export const ZWebhookUrl = z
  .string()
  .trim()
  .max(2000)
  .url("Enter an absolute URL, such as https://hooks.example.com/trustflow.")
  .refine((u) => {
    const url = urlOrNull(u);
    return !url || /^https?:$/.test(url.protocol);
  }, "The URL must use https (or http).")
  .refine((u) => {
    const url = urlOrNull(u);
    return !url || (!url.username && !url.password);
  }, "Put no credentials in the URL: the signature authenticates the calls.");

export const ZWebhookEvents = z
  .array(z.enum(NOTIFICATION_KINDS))
  .min(1, "Choose at least one event.")
  .max(NOTIFICATION_KINDS.length)
  .transform((e) => [...new Set(e)]);

export const ZCreateWebhookInput = z.object({
  url: ZWebhookUrl,
  description: z.string().trim().max(200).default(""),
  events: ZWebhookEvents,
});

export const ZUpdateWebhookInput = z.object({
  id: z.string().uuid(),
  url: ZWebhookUrl.optional(),
  description: z.string().trim().max(200).optional(),
  events: ZWebhookEvents.optional(),
  enabled: z.boolean().optional(),
});

export const ZWebhookId = z.object({ id: z.string().uuid() });

export const ZListDeliveriesInput = z.object({
  endpointId: z.string().uuid(),
  cursor: z.string().uuid().optional(),
  limit: z.number().int().min(1).max(100).default(20),
});
