/**
 * Webhook triggers: per-flow secrets (rotate = create or replace, shown once; sealed with the
 * credential keyring) and receiving a signed delivery: a per-flow rate limit, the signature
 * (5-minute tolerance), replay protection (the signed content, `<t>.<verified HMAC>`, and the
 * delivery id when given, are each accepted once per flow), inputs checked against the flow's
 * schema, the run started with its ledger entry, and optionally the wait for its output.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { z } from "zod";
import type { FlowIR } from "@/dsl";
import { runOutcome } from "@/server/domain/run/outcome";
import type { TriggerClaim, TriggerDeps } from "@/server/domain/run/ports";
import { validatorFor } from "@/server/engine/runtimes/support";
import { isTerminalRun, type RunStatus } from "@/server/engine/types";
import { appendAudit } from "../audit/ledger";
import type { CredentialVault } from "../connector/ports";
import { AppError, notFound } from "../errors";
import type { Actor, Db } from "../types";
import { compileFlowCached } from "../workflow/compile-flow";
import { currentFlows } from "./current-flow";
import type { ZWorkflowRefInput } from "./schemas";
import {
  MAX_SIGNATURE_CANDIDATES,
  SIGNATURE_TOLERANCE_S,
  verifyWebhookSignature,
  type SignatureProblem,
} from "./signature";
import {
  runTriggeredInline,
  startTriggeredRun,
  type InlineExecution,
  type TriggeredRun,
} from "./start-triggered-run";
import type { FlowEntry, SecretEntry, WebhookCache } from "./webhook-cache";
import { DEFAULT_WEBHOOK_RATE_LIMIT, WebhookRateLimiter } from "./webhook-rate-limit";

const aadOf = (workspaceId: string, workflowId: string) => `webhook:${workspaceId}:${workflowId}`;

/** The path a flow's webhook listens on. */
export const webhookPath = (workspaceSlug: string, flowName: string) =>
  `/api/hooks/${encodeURIComponent(workspaceSlug)}/${encodeURIComponent(flowName)}`;

/** What managing a flow's webhook needs: the database, the vault, the process's cache. */
export interface WebhookAdminDeps {
  db: Db;
  vault: CredentialVault;
  webhookCache: WebhookCache;
}

async function webhookFlow(db: Db, actor: Actor, workflowId: string) {
  const [flow] = await currentFlows(db, {
    workspaceId: actor.workspaceId,
    workflowIds: [workflowId],
  });
  if (!flow) throw notFound("Workflow");
  if (!flow.ir)
    throw new AppError("PRECONDITION_FAILED", {
      message: `The flow does not compile (${flow.problems.join("; ")}). Fix it before adding a webhook.`,
    });
  if (flow.ir.trigger.type !== "webhook")
    throw new AppError("PRECONDITION_FAILED", {
      message: `The flow's trigger is ${flow.ir.trigger.type}; declare \`trigger: { webhook: {} }\` to receive webhooks.`,
      details: { field: "workflowId" },
    });
  return { flow, ir: flow.ir };
}

/**
 * Creates or replaces a flow's webhook secret. The secret is returned once and never again
 * (only its last four characters); the previous one stops working at once.
 */
export async function rotateWebhookSecret(
  { db, vault, webhookCache }: WebhookAdminDeps,
  actor: Actor,
  input: z.infer<typeof ZWorkflowRefInput>,
) {
  const { ir } = await webhookFlow(db, actor, input.workflowId);
  const secret = `whsec_${randomBytes(24).toString("base64url")}`;
  const sealed = vault.seal(secret, aadOf(actor.workspaceId, input.workflowId));
  const hint = secret.slice(-4);
  const ws = await db.workspace.findUniqueOrThrow({
    where: { id: actor.workspaceId },
    select: { slug: true },
  });
  await db.$transaction(async (tx) => {
    const clash = await tx.webhookSecret.findFirst({
      where: {
        workspaceId: actor.workspaceId,
        flowName: ir.name,
        NOT: { workflowId: input.workflowId },
      },
      select: { id: true },
    });
    if (clash)
      throw new AppError("CONFLICT", {
        message: `Another workflow of this workspace already receives webhooks as "${ir.name}". Rename the flow or revoke that webhook.`,
      });
    const now = new Date();
    await tx.webhookSecret.upsert({
      where: { workflowId: input.workflowId },
      create: {
        workspaceId: actor.workspaceId,
        workflowId: input.workflowId,
        flowName: ir.name,
        ...sealed,
        hint,
      },
      update: { flowName: ir.name, ...sealed, hint, rotatedAt: now },
    });
    await appendAudit(tx, actor, {
      action: "webhook.secret.rotate",
      subjectType: "workflow",
      subjectId: input.workflowId,
      payload: { flow: ir.name, hint },
    });
  });
  webhookCache.forgetSecrets();
  return { secret, hint, path: webhookPath(ws.slug, ir.name), flowName: ir.name };
}

/** Whether a flow receives webhooks, where, and the last characters of its secret. */
export async function getWebhook(db: Db, actor: Actor, input: z.infer<typeof ZWorkflowRefInput>) {
  const row = await db.webhookSecret.findFirst({
    where: { workflowId: input.workflowId, workspaceId: actor.workspaceId },
    select: { flowName: true, hint: true, rotatedAt: true },
  });
  if (!row) {
    const wf = await db.workflow.findFirst({
      where: { id: input.workflowId, workspaceId: actor.workspaceId, deletedAt: null },
      select: { id: true },
    });
    if (!wf) throw notFound("Workflow");
    return { configured: false as const };
  }
  const ws = await db.workspace.findUniqueOrThrow({
    where: { id: actor.workspaceId },
    select: { slug: true },
  });
  return {
    configured: true as const,
    flowName: row.flowName,
    hint: row.hint,
    rotatedAt: row.rotatedAt,
    path: webhookPath(ws.slug, row.flowName),
  };
}

/** Removes a flow's webhook secret: deliveries are refused (404) from now on. */
export async function revokeWebhook(
  { db, webhookCache }: Pick<WebhookAdminDeps, "db" | "webhookCache">,
  actor: Actor,
  input: z.infer<typeof ZWorkflowRefInput>,
) {
  await db.$transaction(async (tx) => {
    const row = await tx.webhookSecret.findFirst({
      where: { workflowId: input.workflowId, workspaceId: actor.workspaceId },
    });
    if (!row) throw notFound("Webhook");
    await tx.webhookSecret.delete({ where: { id: row.id } });
    await appendAudit(tx, actor, {
      action: "webhook.secret.revoke",
      subjectType: "workflow",
      subjectId: input.workflowId,
      payload: { flow: row.flowName },
    });
  });
  webhookCache.forgetSecrets();
  return { workflowId: input.workflowId, revoked: true };
}

// ---------------------------------------------------------------------------------------------
// Receiving

/** A delivery as the route hands it over. */
export interface WebhookDelivery {
  workspaceSlug: string;
  flowName: string;
  /** The raw body, exactly as signed. */
  body: string;
  signature: string | null;
  deliveryId: string | null;
  /** `?wait=1` */
  wait: boolean;
  /** `?timeout=<ms>` for waits (default 10 s, at most 60 s). */
  timeoutMs?: number;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
}

/** The HTTP answer, ready to send. */
export interface WebhookAnswer {
  status: number;
  body: Record<string, unknown>;
  /** Extra response headers (`Retry-After` of a 429). */
  headers?: Record<string, string>;
}

/** Options of {@link receiveWebhook}. */
export interface ReceiveOptions {
  vault: CredentialVault;
  /** Unix seconds. */
  now?: () => number;
  /** How long a secret (and the flow's compiled IR) is reused from memory. Default 2 s. */
  cacheMs?: number;
  /**
   * Runs synchronous deliveries' runs in this process (embedded mode): they answer without a
   * queue hop. Without it (scale-out), runs are queued for the workers.
   */
  inline?: InlineExecution;
  /**
   * The per-flow rate limit (every request to a configured flow's URL takes a token, before its
   * signature is checked). Default: a process-wide limiter of
   * {@link DEFAULT_WEBHOOK_RATE_LIMIT} requests per second per flow; null: no limit.
   */
  rateLimiter?: WebhookRateLimiter | null;
}

const secretKey = (slug: string, flow: string) => `${slug}\u0000${flow}`;

async function lookupSecret(
  deps: TriggerDeps,
  opts: ReceiveOptions,
  slug: string,
  flow: string,
): Promise<SecretEntry | null> {
  const cache = deps.webhookCache;
  const key = secretKey(slug, flow);
  const ttl = opts.cacheMs ?? 2_000;
  const at = cache.secretAt.get(key);
  if (at !== undefined && Date.now() - at < ttl) return cache.secrets.get(key) ?? null;
  const row = await deps.webhooks.secretOf(slug, flow);
  const entry = row
    ? {
        workspaceId: row.workspaceId,
        workflowId: row.workflowId,
        secret: opts.vault.open(row, aadOf(row.workspaceId, row.workflowId)),
        at: Date.now(),
      }
    : null;
  cache.rememberSecret(key, entry, Date.now());
  return entry;
}

const PROBLEM_TEXT: Record<SignatureProblem, string> = {
  missing: "Missing X-Trustflow-Signature header.",
  malformed: `Malformed X-Trustflow-Signature header (expected t=<unix seconds>,v1=<hex>, at most ${MAX_SIGNATURE_CANDIDATES} v1 entries).`,
  expired: `The signature's timestamp is more than ${SIGNATURE_TOLERANCE_S / 60} minutes away from the server's clock.`,
  mismatch: "The signature does not match the body.",
};

async function flowOf(
  deps: TriggerDeps,
  opts: ReceiveOptions,
  workflowId: string,
): Promise<FlowEntry | null> {
  const flows: WebhookCache["flows"] = deps.webhookCache.flows;
  const hit = flows.get(workflowId);
  if (hit && Date.now() - hit.at < (opts.cacheMs ?? 2_000)) return hit;
  const r = await deps.webhooks.currentText(workflowId);
  if (!r) return null;
  const c = r.versionId
    ? compileFlowCached(`v:${r.versionId}`, r.dsl ?? "")
    : compileFlowCached(`d:${workflowId}:${Number(r.updatedAt)}`, r.draft);
  const entry = { version: r.version, ir: c.ir, problems: c.problems, at: Date.now() };
  flows.set(workflowId, entry);
  return entry;
}

/** Handles one delivery: never throws for bad input, answers with the HTTP status to send. */
export async function receiveWebhook(
  deps: TriggerDeps,
  d: WebhookDelivery,
  opts: ReceiveOptions,
): Promise<WebhookAnswer> {
  const notFoundAnswer = {
    status: 404,
    body: { error: "No webhook is configured for this workspace and flow." },
  };
  const entry = await lookupSecret(deps, opts, d.workspaceSlug, d.flowName);
  if (!entry) return notFoundAnswer;
  // Before the signature: a flood of badly signed requests costs one token each, no HMAC.
  const limiter =
    opts.rateLimiter === undefined
      ? (deps.webhookCache.defaultLimiter ??= new WebhookRateLimiter({
          perSecond: DEFAULT_WEBHOOK_RATE_LIMIT,
        }))
      : opts.rateLimiter;
  const token = limiter?.take(entry.workspaceId, entry.workflowId);
  if (limiter && token && !token.ok)
    return {
      status: 429,
      headers: { "Retry-After": String(token.retryAfterS) },
      body: {
        error: `Too many requests to this flow's webhook (limit ${limiter.perSecond} per second); retry after ${token.retryAfterS} s.`,
      },
    };
  const now = opts.now?.() ?? Date.now() / 1000;
  const check = verifyWebhookSignature(entry.secret, d.body, d.signature, now);
  if (!check.ok) return { status: 401, body: { error: PROBLEM_TEXT[check.problem] } };

  const flow = await flowOf(deps, opts, entry.workflowId);
  if (!flow) return notFoundAnswer;
  if (!flow.ir)
    return {
      status: 409,
      body: { error: `The flow does not compile: ${flow.problems.join("; ")}.` },
    };
  const ir = flow.ir;
  if (ir.trigger.type !== "webhook" || ir.name !== d.flowName)
    return {
      status: 409,
      body: { error: `The flow's current version is not started by this webhook.` },
    };

  let inputs: unknown = {};
  if (d.body.trim() !== "") {
    try {
      inputs = JSON.parse(d.body);
    } catch {
      return { status: 400, body: { error: "The body is not valid JSON." } };
    }
  }
  if (typeof inputs !== "object" || inputs === null || Array.isArray(inputs))
    return { status: 400, body: { error: "The body must be a JSON object of the flow's inputs." } };
  const validate = validatorFor(ir.inputsSchema);
  if (!validate(inputs)) {
    const fieldErrors: Record<string, string[]> = {};
    for (const e of validate.errors ?? []) {
      const missing = (e.params as { missingProperty?: string }).missingProperty;
      const field = missing ?? (e.instancePath.replace(/^\//, "").replaceAll("/", ".") || "(body)");
      (fieldErrors[field] ??= []).push(e.message ?? "is invalid");
    }
    return {
      status: 400,
      body: { error: "The inputs do not match the flow.", fieldErrors },
    };
  }

  // Replay protection: the signed content (`<t>.<verified HMAC>`) is unique per flow, whatever
  // the headers around it say; so is the delivery id when the sender gives one (else the key).
  const replayKey = check.replayKey;
  const deliveryId = d.deliveryId?.trim().slice(0, 200) || `sig:${replayKey}`;
  const runId = randomUUID();
  const sync = d.wait || (ir.trigger.type === "webhook" && ir.trigger.respond === "sync");
  // Subscribed before the run exists: an in-process worker may finish it before we look.
  const waiter = sync
    ? deps.notifier.waitForRunEnd(
        runId,
        Math.min(Math.max(d.timeoutMs ?? 10_000, 1), 60_000),
        d.signal,
      )
    : undefined;
  const triggered: TriggeredRun = {
    runId,
    workspaceId: entry.workspaceId,
    workflowId: entry.workflowId,
    version: flow.version,
    ir,
    inputs: inputs as Record<string, unknown>,
    startedBy: `webhook:${ir.name}`,
    trigger: { type: "webhook", deliveryId },
  };
  // The one insert that claims the delivery: a clash on either unique key (workflow and
  // signed content, workflow and delivery id) inserts nothing, and nothing else is written.
  const claim: TriggerClaim = {
    kind: "webhook-delivery",
    workspaceId: entry.workspaceId,
    workflowId: entry.workflowId,
    deliveryId,
    signature: replayKey,
    runId,
  };
  let run: Awaited<ReturnType<typeof runTriggeredInline>>;
  try {
    run =
      waiter && opts.inline
        ? await runTriggeredInline(deps, triggered, claim, opts.inline)
        : "busy";
    if (run === "busy") run = await startTriggeredRun(deps, triggered, claim);
  } catch (err) {
    waiter?.cancel();
    throw err;
  }
  if (!run) {
    waiter?.cancel();
    return {
      status: 409,
      body: {
        error:
          "This delivery was already received (replay refused): the same signed content or delivery id was accepted before.",
        ...(d.deliveryId ? { deliveryId } : {}),
      },
    };
  }
  if (!waiter) return { status: 202, body: { runId, status: run.status } };
  const end = await waiter.promise;
  if (!end) {
    // Timed out (or the relay missed it): one read tells whether it ended meanwhile.
    const latest = await deps.runs.getRun(runId);
    if (!latest || !isTerminalRun(latest.status))
      return { status: 202, body: { runId, status: latest?.status ?? "queued" } };
    return answerFor(deps.db, ir, runId, latest.status, latest.output, latest.error);
  }
  if (end.output === undefined) {
    const latest = await deps.runs.getRun(runId);
    return answerFor(deps.db, ir, runId, end.status, latest?.output ?? null, latest?.error ?? null);
  }
  return answerFor(deps.db, ir, runId, end.status, end.output, end.error);
}

/**
 * The answer to a waited-for run: 200 with the output when it succeeded, 422 with the error
 * otherwise. A success that dead-lettered a step (only a flow with an `on_error: continue` step
 * can; the others answer without a query) says so: `outcome` and the number of `deadLetters`.
 */
async function answerFor(
  db: Db,
  ir: FlowIR,
  runId: string,
  status: RunStatus,
  output: unknown,
  error: unknown,
): Promise<WebhookAnswer> {
  if (status !== "succeeded") return { status: 422, body: { runId, status, error } };
  const deadLetters = ir.steps.some((s) => s.onError === "continue")
    ? await db.deadLetter.count({ where: { runId } })
    : 0;
  const outcome = runOutcome(status, deadLetters);
  return {
    status: 200,
    body: { runId, status, ...(deadLetters ? { outcome, deadLetters } : {}), output },
  };
}
