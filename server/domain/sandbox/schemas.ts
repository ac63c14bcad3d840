/**
 * Sandbox sessions (issue 16): inputs of the use cases, and the fault profile a session applies
 * to its mock connector services (per system, the rules the mocks' `_faults` API takes).
 */
import { z } from "zod";

/** The mock systems a session holds state for. */
export const SANDBOX_SYSTEMS = ["crm", "billing", "clm"] as const;
export type SandboxSystem = (typeof SANDBOX_SYSTEMS)[number];

/** How long a session lives unless told otherwise: 24 hours. */
export const DEFAULT_SESSION_TTL_MS = 24 * 60 * 60 * 1000;
/** The longest a session may live: 7 days. */
export const MAX_SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** Open sessions a workspace may hold at once. */
export const OPEN_SESSIONS_PER_WORKSPACE = 50;
/** Members a session may be shared with by name. */
export const MAX_SHARED_MEMBERS = 50;
/** The dataset seed of a session that names none (the mocks' default dataset). */
export const DEFAULT_SANDBOX_SEED = 20261122;

/** One fault rule of a mock system (`faults.ts` of the mock services applies it). */
export const ZFaultRule = z
  .object({
    /** Operation name (`contact.create`, `invoice.create`; a `crm.` prefix is accepted) or `*`. */
    operation: z
      .string()
      .trim()
      .min(1, "Name the operation, e.g. contact.create, or * for all.")
      .max(100),
    latencyMs: z.number().int().min(0).max(120_000).optional(),
    errorRate: z.number().min(0).max(1).optional(),
    /** Status of injected errors (default 503). */
    status: z.number().int().min(400).max(599).optional(),
    /** `Retry-After` seconds on injected 429/503 (default 1; 0 omits the header). */
    retryAfterS: z.number().int().min(0).max(3600).optional(),
    timeoutRate: z.number().min(0).max(1).optional(),
    malformedRate: z.number().min(0).max(1).optional(),
    /** Reseeds the fault PRNG of this tenant and system. */
    seed: z.number().int().optional(),
  })
  .strict();
export type FaultRule = z.infer<typeof ZFaultRule>;

const ZRules = z.array(ZFaultRule).max(50, "At most 50 fault rules per system.");

/** A session's fault profile: the rules of each mock system, e.g. `{ crm: [{ operation: "*", errorRate: 1 }] }`. */
export const ZFaultProfile = z
  .object({ crm: ZRules.optional(), billing: ZRules.optional(), clm: ZRules.optional() })
  .strict();
export type FaultProfile = z.infer<typeof ZFaultProfile>;

/** Who a session is shared with: the whole workspace, or named members (user ids). */
export const ZSharedWith = z.union([
  z.literal("workspace"),
  z
    .array(z.uuid("Not a user id."))
    .max(MAX_SHARED_MEMBERS, `Share with at most ${MAX_SHARED_MEMBERS} members.`),
]);
export type SharedWith = z.infer<typeof ZSharedWith>;

export const ZCreateSessionInput = z.object({
  name: z.string().trim().min(1, "Name the session.").max(100, "Use at most 100 characters."),
  seed: z
    .number()
    .int("The seed is an integer.")
    .min(0)
    .max(2_147_483_647)
    .default(DEFAULT_SANDBOX_SEED),
  faultProfile: ZFaultProfile.default({}),
  sharedWith: ZSharedWith.default([]),
  /** Lifetime in milliseconds; default 24 hours, at most 7 days. */
  ttlMs: z
    .number()
    .int()
    .min(60_000, "A session lives at least one minute.")
    .max(MAX_SESSION_TTL_MS, "A session lives at most 7 days.")
    .default(DEFAULT_SESSION_TTL_MS),
  /**
   * A dataset version (its id) whose rows are written over the seeded mock state of the
   * session (`server/adapters/connectors/mock/dataset-state.ts`); kept as `datasetRef`.
   */
  datasetVersionId: z.uuid("Not a dataset version id.").optional(),
});
export type CreateSessionInput = z.input<typeof ZCreateSessionInput>;

export const ZSessionId = z.object({ id: z.uuid("Not a session id.") });

export const ZShareSessionInput = z.object({
  id: z.uuid("Not a session id."),
  sharedWith: ZSharedWith,
});

export const ZListSessionsInput = z
  .object({ includeClosed: z.boolean().default(false) })
  .default({ includeClosed: false });
