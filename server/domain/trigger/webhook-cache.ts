/**
 * What a process remembers between webhook deliveries: each flow's secret (opened) and compiled
 * current version, for `cacheMs`, and the default per-flow rate limiter. One per process, held
 * by the composition root, because rotation (a tRPC route) and delivery (the webhook endpoint)
 * run in different Next.js bundles of the same process: with a cache per bundle the rotated
 * secret's predecessor went on verifying for up to `cacheMs` in the very process that rotated it.
 */
import type { FlowIR } from "@/dsl";
import type { WebhookRateLimiter } from "./webhook-rate-limit";

/** A flow's secret as deliveries check it. */
export interface SecretEntry {
  workspaceId: string;
  workflowId: string;
  secret: string;
  at: number;
}

/** A flow's current version, compiled. */
export interface FlowEntry {
  version: string | null;
  ir: FlowIR | null;
  problems: string[];
  at: number;
}

/** Cached lookups (unknown names included) kept at most: random URLs cannot grow the cache. */
const MAX_CACHED_SECRETS = 10_000;

export class WebhookCache {
  /** By `slug\0flow`; null: no webhook there (cached too). */
  readonly secrets = new Map<string, SecretEntry | null>();
  readonly secretAt = new Map<string, number>();
  /** By workflow id. */
  readonly flows = new Map<string, FlowEntry>();
  /** The limiter of deliveries that were given none (`ReceiveOptions.rateLimiter`). */
  defaultLimiter: WebhookRateLimiter | undefined;
  /** The webhook endpoint's limiter (`WEBHOOK_RATE_LIMIT`), shared by both HTTP front ends. */
  endpointLimiter: WebhookRateLimiter | undefined;

  /** Rotation and revocation take effect at once in this process; others within `cacheMs`. */
  forgetSecrets(): void {
    this.secrets.clear();
    this.secretAt.clear();
  }

  /** Remembers a lookup, emptying the cache first when it is full. */
  rememberSecret(key: string, entry: SecretEntry | null, now: number): void {
    if (this.secrets.size >= MAX_CACHED_SECRETS) this.forgetSecrets();
    this.secrets.set(key, entry);
    this.secretAt.set(key, now);
  }
}
