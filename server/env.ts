import ipaddr from "ipaddr.js";
import { z } from "zod";
import { SCRYPT_N_RANGE, validScryptN } from "@/server/domain/auth/password";

const SCRYPT_N_MESSAGE = `must be a power of two from ${SCRYPT_N_RANGE.min} to ${SCRYPT_N_RANGE.max} (default ${SCRYPT_N_RANGE.default})`;

/** The variables, each checked on its own ({@link ZEnv} adds the checks across them). */
const ZEnvFields = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional(),
  TRUSTFLOW_DATA_DIR: z.string().min(1).default(".data"),
  /** The embedded PostgreSQL's port on 127.0.0.1 (without DATABASE_URL); unset, a free one. */
  TRUSTFLOW_EMBEDDED_PG_PORT: z.coerce.number().int().min(1024).max(65_535).optional(),
  NEXTAUTH_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  NEXTAUTH_URL: z.url("must be an absolute URL such as http://localhost:3000").optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** `auto`: readable lines on a terminal, JSON otherwise (see server/logger.ts). */
  LOG_FORMAT: z.enum(["auto", "json", "pretty"]).default("auto"),
  TRUSTFLOW_SEED: z.enum(["demo", "none"]).default("demo"),
  /**
   * Runs of demo history the demo workspace gets at its first start (30 days, planted
   * anomalies: docs/demo-history.md); 0 seeds none. Read once: a later start adds nothing.
   */
  TRUSTFLOW_DEMO_HISTORY_RUNS: z.coerce.number().int().min(0).max(200_000).default(20_000),
  /**
   * `on`: the code.python sandbox (Pyodide snapshot, two warm ~200 MB processes) is prepared ~30 s
   * after the start; `off`: at the first Python call (which then takes seconds).
   */
  TRUSTFLOW_PYTHON_PREWARM: z.enum(["on", "off"]).default("on"),
  /**
   * How long a stop (SIGTERM, Ctrl-C) may take: runs reach a checkpoint, background parts finish
   * their turn, the database closes. Past it the process exits anyway (status 1), naming the part
   * it waited for; what it interrupted, the next start continues (runs are durable).
   */
  TRUSTFLOW_STOP_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(20_000),
  /**
   * `on`: the consumers that fold finished runs (earned trust, rollups, guardian, anomalies) run
   * in a worker thread with their own connections, off the event loop that answers requests;
   * `off`: on that event loop.
   */
  TRUSTFLOW_FOLD_THREAD: z.enum(["on", "off"]).default("on"),
  /** `off` when separate `npm run worker` processes execute runs (scale-out). */
  TRUSTFLOW_EMBEDDED_WORKER: z.enum(["on", "off"]).default("on"),
  /** Bearer token `/api/metrics` (and worker metrics) require; unset, metrics are off (404). */
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  /** Port on which an `npm run worker` process serves its own metrics; unset, none. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
  /** Failed sign-ins per (email, address) answered at once; later ones wait 1, 2, 4, … s. */
  SIGNIN_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(5),
  /** The longest wait the sign-in back-off imposes on one (email, address). */
  SIGNIN_MAX_DELAY_SECONDS: z.coerce.number().int().min(1).max(86_400).default(600),
  /** Failed sign-ins from one address, any email, before it waits out the window. */
  SIGNIN_ADDRESS_MAX_FAILURES: z.coerce.number().int().min(1).max(100_000).default(100),
  /** How long failed sign-ins are counted (per pair and per address). */
  SIGNIN_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  /** Sign-ups per client address per hour. */
  SIGNUP_MAX_PER_HOUR: z.coerce.number().int().min(1).max(100_000).default(20),
  /** scrypt's N for new password hashes (32 MiB at the default); below it only for test servers. */
  PASSWORD_SCRYPT_N: z.coerce
    .number({ error: SCRYPT_N_MESSAGE })
    .refine(validScryptN, SCRYPT_N_MESSAGE)
    .default(SCRYPT_N_RANGE.default),
  /** Proxies whose `X-Forwarded-For` is believed: a hop count or addresses/CIDRs, comma-separated. */
  TRUST_PROXY: z
    .string()
    .trim()
    .refine(
      (v) =>
        /^\d+$/.test(v) ||
        v.split(",").every((e) => {
          const s = e.trim();
          return s === "" || ipaddr.isValid(s) || ipaddr.isValidCIDR(s);
        }),
      "must be a hop count (1) or a comma list of IP addresses and CIDR ranges",
    )
    .optional(),
  /** A browser session ends after this long without a request… */
  SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(525_600).default(120),
  /** …and at the latest this long after sign-in. */
  SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(8760).default(12),
  /** Sub-flow nesting: a run at this depth cannot start another sub-flow. */
  TRUSTFLOW_MAX_SUBFLOW_DEPTH: z.coerce.number().int().min(1).max(100).default(10),
  /** Queued, running and waiting runs per workspace; starts beyond it are refused. */
  TRUSTFLOW_MAX_ACTIVE_RUNS: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  /** Run starts and inline webhook executions in progress at once in one process. */
  TRUSTFLOW_ADMISSION_SLOTS: z.coerce.number().int().min(1).max(1000).default(8),
  /** Starts waiting for a slot; beyond it a start is answered 503 with Retry-After. */
  TRUSTFLOW_ADMISSION_QUEUE: z.coerce.number().int().min(0).max(100_000).default(64),
  /**
   * Event-loop lag beyond which a burst's further starts are refused (0, the default: off; a
   * long synchronous task such as a migration also makes the loop late, see admission.ts).
   */
  TRUSTFLOW_ADMISSION_MAX_LAG_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  /** Egress guard: response body bytes of one outbound call (decompressed). */
  EGRESS_MAX_RESPONSE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(10 * 1024 * 1024),
  /** Egress guard: milliseconds one outbound call may take, redirects and body included. */
  EGRESS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** Egress guard: redirect hops followed (each one checked again). */
  EGRESS_MAX_REDIRECTS: z.coerce.number().int().min(0).max(20).default(5),
  /** Requests per second to one flow's webhook (bursts of twice that); beyond it, 429. */
  WEBHOOK_RATE_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  /** Days the answers of connector and model step attempts are kept (issue 16). */
  RECORDED_ANSWER_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(14),
  /** Half-life of the run history behind earned trust scores, in days (issue 17). */
  TRUST_SCORE_HALF_LIFE_DAYS: z.coerce.number().min(0.01).max(3650).default(14),
  /** 32 bytes, base64: seals credentials and secrets (see credentials.ts for its defaults). */
  TRUSTFLOW_CREDENTIALS_KEY: z
    .string()
    .trim()
    .refine(
      (v) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && atob(v).length === 32,
      "must be 32 bytes in base64 (`openssl rand -base64 32`)",
    )
    .optional(),
});

/** Environment of the server, validated once at boot. Each bad variable is named in the error. */
export const ZEnv = ZEnvFields.superRefine((e, ctx) => {
  // Production on PostgreSQL: every server and worker must share one credentials key, so a
  // missing key stops the boot instead of failing each credential operation later (HTTP 500).
  // The embedded database keeps a generated key in its data directory (credentials.ts).
  if (e.NODE_ENV === "production" && e.DATABASE_URL && !e.TRUSTFLOW_CREDENTIALS_KEY) {
    ctx.addIssue({
      code: "custom",
      path: ["TRUSTFLOW_CREDENTIALS_KEY"],
      message:
        "required in production with DATABASE_URL (every server and worker shares it; `openssl rand -base64 32`)",
    });
  }
});
export type Env = z.infer<typeof ZEnv>;

/** Formats zod issues as one line per variable: `DATABASE_URL: must be a postgres:// URL`. */
export function formatEnvIssues(error: z.ZodError): string {
  return error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`).join("\n");
}

export function parseEnv(source: Record<string, string | undefined>): Env {
  // Empty strings count as unset, as in most dotenv tooling.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ""));
  const result = ZEnv.safeParse(cleaned);
  if (!result.success) {
    throw new Error(`Invalid environment:\n${formatEnvIssues(result.error)}`);
  }
  return result.data;
}

let cached: Env | undefined;
export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}
