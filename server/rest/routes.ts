/**
 * The REST API's operations (`/api/v1`): one table, read by the dispatcher (`dispatch.ts`), the
 * OpenAPI document (`openapi.ts`), the reference page and the tests. Each handler maps the REST
 * shape to the input of ONE domain use case (the same the tRPC procedure calls), parses it with
 * the domain's zod schema, and shapes the answer; no business rule lives here.
 */
import { z, type ZodType } from "zod";
import {
  decideApproval,
  breakGlass,
  getApproval,
  listApprovals,
} from "@/server/domain/approval/approvals";
import {
  ZApprovalId,
  ZBreakGlassInput,
  ZDecideApprovalInput,
  ZListApprovalsInput,
} from "@/server/domain/approval/schemas";
import {
  getReprocessJob,
  listDeadLetters,
  requestReprocess,
} from "@/server/domain/deadletter/dead-letters";
import {
  ZListDeadLettersInput,
  ZReprocessInput,
  ZReprocessJobId,
} from "@/server/domain/deadletter/schemas";
import { AppError, notFound } from "@/server/domain/errors";
import { requestReplay } from "@/server/domain/replay/replays";
import { ZReplayInput } from "@/server/domain/replay/schemas";
import { getRun, listRuns, startRun } from "@/server/domain/run/runs";
import { ZListRunsInput, ZRunId, ZStartRunInput } from "@/server/domain/run/schemas";
import { actorMay, type Actor, type Db } from "@/server/domain/types";
import { listTrustPage } from "@/server/domain/trust/list-trust";
import { listGroups, listProposals } from "@/server/domain/guardian/groups";
import { proposalReviews } from "@/server/domain/guardian/review-view";
import { ZListGroupsInput, ZListProposalsInput } from "@/server/domain/guardian/schemas";
import { predictionQuality } from "@/server/domain/prediction";
import { listAnomalies } from "@/server/domain/anomaly/anomalies";
import { ZAnomaly, ZAnomalyQuery } from "./anomaly-schemas";
import {
  flowSlug,
  getWorkflow,
  listWorkflows,
  listWorkflowsPage,
} from "@/server/domain/workflow/workflows";
import { fieldErrors, type FieldError } from "./problem";
import { ZPredictionQuality } from "./prediction-schemas";
import {
  ZGuardianGroup,
  ZGuardianGroupsQuery,
  ZGuardianProposal,
  ZGuardianProposalsQuery,
} from "./guardian-schemas";
import { defineRoute, RestInputError, type RestRoute } from "./route";
import {
  page,
  ZApproval,
  ZDeadLetter,
  ZDecisionBody,
  ZPageQuery,
  ZReplayBody,
  ZReplayRequested,
  ZReprocessJob,
  ZReprocessRequested,
  ZRun,
  ZRunSummary,
  ZStartRunBody,
  ZTrustEntry,
  ZTrustQuery,
  ZUuidPath,
  ZWorkflow,
  ZWorkflowRef,
  ZWorkflowSummary,
} from "./schemas";

/** Parses a mapped input with the domain's schema; its field errors point at the REST request. */
export function domainInput<S extends ZodType>(
  schema: S,
  value: unknown,
  part: FieldError["in"],
  rename: Record<string, { in: FieldError["in"]; field: string }> = {},
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new RestInputError(fieldErrors(parsed.error, part, rename));
  return parsed.data;
}

const ID_IN_PATH = (field: string) => ({ [field]: { in: "path" as const, field: "id" } });

const isUuid = (s: string) => z.uuid().safeParse(s).success;

/**
 * The workflow a path names, by id or slug (through the domain's list: the slug is its name's
 * `flowSlug`). A slug two workflows share is refused (409): use the id.
 */
async function workflowIdOf(db: Db, actor: Actor, ref: string): Promise<string> {
  if (isUuid(ref)) return ref;
  const slug = ref.toLowerCase();
  const matches = (await listWorkflows(db, actor, { deleted: false })).filter(
    (w) => flowSlug(w.name) === slug,
  );
  if (matches.length === 0) throw notFound("Workflow");
  if (matches.length > 1)
    throw new AppError("CONFLICT", {
      message: `The slug "${slug}" names ${matches.length} workflows; address the workflow by its id.`,
      details: { field: "id" },
    });
  return matches[0]!.id;
}

/** A run as `GET /runs/{id}` answers it: the use case's view plus its steps in flow order. */
async function runView(call: { services: Parameters<typeof getRun>[0]; actor: Actor }, id: string) {
  const run = await getRun(call.services, call.actor, { id });
  const latest = new Map<string, { status: string; attempts: number }>();
  for (const a of run.attempts) {
    const seen = latest.get(a.stepId);
    latest.set(a.stepId, {
      status: !seen || a.attempt >= seen.attempts ? a.status : seen.status,
      attempts: Math.max(seen?.attempts ?? 0, a.attempt),
    });
  }
  const steps = run.ir.steps.map((s) => ({
    id: s.id,
    block: `${s.block.id}@${s.block.major}`,
    status: latest.get(s.id)?.status ?? "pending",
    attempts: latest.get(s.id)?.attempts ?? 0,
  }));
  return { ...run, steps };
}

const COMMON_WRITE_PROBLEMS = [400, 404, 409, 413, 415, 422] as const;

export const ROUTES: readonly RestRoute[] = [
  defineRoute({
    operationId: "listWorkflows",
    method: "GET",
    path: "/workflows",
    tag: "Workflows",
    summary: "List workflows",
    description:
      "The workspace's workflows, most recently updated first, with their publish state, trigger and last run.",
    role: "viewer",
    scope: "read",
    query: ZPageQuery,
    success: { status: 200, description: "A page of workflows.", schema: page(ZWorkflowSummary) },
    problems: [400],
    async handle({ db, actor, query }) {
      const page = await listWorkflowsPage(db, actor, {
        deleted: false,
        cursor: query.cursor,
        limit: query.limit,
      });
      if (!page)
        throw new RestInputError([
          {
            in: "query",
            field: "cursor",
            pointer: "/cursor",
            detail: "This cursor is not in the list any more; start again without it.",
          },
        ]);
      const items = page.items.map(({ _count, ...w }) => ({
        ...w,
        slug: flowSlug(w.name),
        versions: _count.versions,
      }));
      return { body: { items, nextCursor: page.nextCursor } };
    },
  }),
  defineRoute({
    operationId: "getWorkflow",
    method: "GET",
    path: "/workflows/{id}",
    tag: "Workflows",
    summary: "Get a workflow",
    description: "A workflow by id or slug, with its draft and its saved versions.",
    role: "viewer",
    scope: "read",
    params: ZWorkflowRef,
    success: { status: 200, description: "The workflow.", schema: ZWorkflow },
    problems: [400, 404, 409],
    async handle({ db, actor, path }) {
      const id = await workflowIdOf(db, actor, path.id);
      const wf = await getWorkflow(db, actor, { id });
      return { body: { ...wf, slug: flowSlug(wf.name) } };
    },
  }),
  defineRoute({
    operationId: "startRun",
    method: "POST",
    path: "/workflows/{id}/runs",
    tag: "Runs",
    summary: "Start a run",
    description:
      "Starts a run of the workflow's `version` (`draft`, `latest` or a SemVer; omitted: the latest saved version, else the draft) with `inputs` checked against the flow's input schema. Admission control may refuse it (429 or 503 with Retry-After; nothing is started).",
    role: "editor",
    scope: "run",
    params: ZWorkflowRef,
    body: ZStartRunBody,
    success: { status: 201, description: "The run, as `GET /runs/{id}` answers it.", schema: ZRun },
    problems: [...COMMON_WRITE_PROBLEMS, 429, 503],
    async handle(call) {
      const { db, actor, path, body } = call;
      const workflowId = await workflowIdOf(db, actor, path.id);
      let version: { draft: true } | { version: string } | Record<string, never> = {};
      if (body.version === "draft") version = { draft: true };
      else if (body.version === "latest") {
        const wf = await getWorkflow(db, actor, { id: workflowId });
        const latest = wf.versions[0];
        if (!latest)
          throw new AppError("NOT_FOUND", {
            message:
              "The workflow has no saved version: run its draft (version: draft) or save a version.",
            details: { field: "version" },
          });
        version = { version: latest.version };
      } else if (body.version) version = { version: body.version };
      const input = domainInput(
        ZStartRunInput,
        { workflowId, inputs: body.inputs, ...version },
        "body",
        ID_IN_PATH("workflowId"),
      );
      const started = await startRun(call.services, actor, input);
      return {
        status: 201,
        body: await runView(call, started.id),
        location: `/runs/${started.id}`,
      };
    },
  }),
  defineRoute({
    operationId: "listRuns",
    method: "GET",
    path: "/runs",
    tag: "Runs",
    summary: "List runs",
    description:
      "The workspace's runs, newest first, filtered by status, outcome, workflow, version and time.",
    role: "viewer",
    scope: "read",
    query: ZListRunsInput,
    success: { status: 200, description: "A page of runs.", schema: page(ZRunSummary) },
    problems: [400],
    async handle({ db, actor, query }) {
      return { body: await listRuns(db, actor, query) };
    },
  }),
  defineRoute({
    operationId: "getRun",
    method: "GET",
    path: "/runs/{id}",
    tag: "Runs",
    summary: "Get a run",
    description:
      "A run with its status, steps, attempts, events, dead letters, lineage (replays) and reconciliation.",
    role: "viewer",
    scope: "read",
    params: ZUuidPath("a run"),
    success: { status: 200, description: "The run.", schema: ZRun },
    problems: [400, 404],
    async handle(call) {
      const { id } = domainInput(ZRunId, call.path, "path");
      return { body: await runView(call, id) };
    },
  }),
  defineRoute({
    operationId: "requestReplay",
    method: "POST",
    path: "/runs/{id}/replays",
    tag: "Runs",
    summary: "Request a replay",
    description:
      "Plans a replay of a finished run (resume from the failed step, restart from a step, or rerun in full; on its own version, the latest or a SemVer; inputs edited by an RFC 6902 patch) and asks for its approval, bound to the plan's hash. Another person with the approver or admin role decides it (`POST /approvals/{id}/decisions` with the `planHash`); the approved replay starts as a new run linked to this one.",
    role: "editor",
    scope: "run",
    params: ZUuidPath("a run"),
    body: ZReplayBody,
    success: {
      status: 201,
      description:
        "The plan, its hash and the pending approval (as `GET /approvals/{id}` answers it).",
      schema: ZReplayRequested,
    },
    problems: COMMON_WRITE_PROBLEMS,
    async handle({ services, actor, path, body }) {
      const input = domainInput(
        ZReplayInput,
        { ...body, runId: path.id, version: body.version ?? "run" },
        "body",
        ID_IN_PATH("runId"),
      );
      const requested = await requestReplay(services, actor, input);
      const approval = await getApproval(services, actor, { id: requested.approval.id });
      return {
        status: 201,
        body: { plan: requested.plan, planHash: requested.plan.hash, approval },
        location: `/approvals/${approval.id}`,
      };
    },
  }),
  defineRoute({
    operationId: "listApprovals",
    method: "GET",
    path: "/approvals",
    tag: "Approvals",
    summary: "List approvals",
    description:
      "The workspace's approvals, newest first: run steps, forms, replays and reprocess jobs, each saying whether the caller may decide it now. `status`: pending (default), decided or all.",
    role: "viewer",
    scope: "read",
    query: ZListApprovalsInput,
    success: { status: 200, description: "A page of approvals.", schema: page(ZApproval) },
    problems: [400],
    async handle({ services, actor, query }) {
      return { body: await listApprovals(services, actor, query) };
    },
  }),
  defineRoute({
    operationId: "getApproval",
    method: "GET",
    path: "/approvals/{id}",
    tag: "Approvals",
    summary: "Get an approval",
    description:
      "One approval, with what is decided (message, inputs, plan, form) and its decisions.",
    role: "viewer",
    scope: "read",
    params: ZUuidPath("an approval"),
    success: { status: 200, description: "The approval.", schema: ZApproval },
    problems: [400, 404],
    async handle({ services, actor, path }) {
      return { body: await getApproval(services, actor, domainInput(ZApprovalId, path, "path")) };
    },
  }),
  defineRoute({
    operationId: "decideApproval",
    method: "POST",
    path: "/approvals/{id}/decisions",
    tag: "Approvals",
    summary: "Decide an approval",
    description:
      "Approves or rejects (with a comment) a run step, replay or reprocess job (`planHash` for those two), or submits a form's `values`. The four-eyes guard decides who qualifies: never the requester; replays and reprocess jobs by approvers and admins; steps by their approvers (role, group or users); each person once. `breakGlass` (admins, with a `reason`) is final at once and flagged in the ledger. 403 for the requester, a non-approver or a second decision; 409 for a decided, expired or voided approval or a stale plan; 422 for a rejection without a comment or a missing plan hash.",
    role: "editor",
    scope: "approve",
    approves: true,
    params: ZUuidPath("an approval"),
    body: ZDecisionBody,
    success: { status: 200, description: "The approval after the decision.", schema: ZApproval },
    problems: COMMON_WRITE_PROBLEMS,
    async handle({ services, actor, path, body }) {
      const rename = ID_IN_PATH("id");
      if (body.breakGlass) {
        // As the tRPC `approval.breakGlass` procedure: an admin's action, with a reason.
        if (!actorMay(actor, "admin", "approve"))
          throw new AppError("FORBIDDEN", {
            message:
              "Break-glass decisions are for workspace admins only (with the approve scope for a token).",
          });
        const input = domainInput(
          ZBreakGlassInput,
          { id: path.id, decision: body.decision, reason: body.reason },
          "body",
          rename,
        );
        return { body: await breakGlass(services, actor, input) };
      }
      const { breakGlass: _b, reason: _r, ...decision } = body;
      const input = domainInput(ZDecideApprovalInput, { ...decision, id: path.id }, "body", rename);
      return { body: await decideApproval(services, actor, input) };
    },
  }),
  defineRoute({
    operationId: "listDeadLetters",
    method: "GET",
    path: "/dead-letters",
    tag: "Dead letters",
    summary: "List dead letters",
    description:
      "The workspace's dead letters, newest first, each with its inputs, attempts, error and classification; filtered by flow (`workflowId`), `block`, `errorClass`, `connector`, time (`from`, `to`) and `status`.",
    role: "viewer",
    scope: "read",
    query: ZListDeadLettersInput,
    success: { status: 200, description: "A page of dead letters.", schema: page(ZDeadLetter) },
    problems: [400, 422],
    async handle({ services, actor, query }) {
      return { body: await listDeadLetters(services, actor, query) };
    },
  }),
  defineRoute({
    operationId: "requestReprocess",
    method: "POST",
    path: "/dead-letters/reprocess",
    tag: "Dead letters",
    summary: "Reprocess dead letters",
    description:
      "Asks for a durable reprocess job over the dead letters named by `ids`, or every open one matching `filter` (exactly one of the two, at most 1000): each run resumed from its dead-lettered step, a `canary` first, at most `ratePerMinute` started per minute, the first failure stopping it (`stopOnFailure`). Nothing runs until another person with the approver or admin role approves it (`POST /approvals/{id}/decisions` with the `planHash`).",
    role: "editor",
    scope: "run",
    body: ZReprocessInput,
    success: {
      status: 202,
      description:
        "The job (as `GET /dead-letters/reprocess/{id}` answers it) and its pending approval.",
      schema: ZReprocessRequested,
    },
    problems: COMMON_WRITE_PROBLEMS,
    async handle({ services, actor, body }) {
      const requested = await requestReprocess(services, actor, body);
      const [job, approval] = await Promise.all([
        getReprocessJob(services, actor, { id: requested.job.id }),
        getApproval(services, actor, { id: requested.approval.id }),
      ]);
      return {
        status: 202,
        body: { job, approval },
        location: `/dead-letters/reprocess/${job.id}`,
      };
    },
  }),
  defineRoute({
    operationId: "getReprocessJob",
    method: "GET",
    path: "/dead-letters/reprocess/{id}",
    tag: "Dead letters",
    summary: "Get a reprocess job",
    description: "A reprocess job with its state, progress and every item (its replay run).",
    role: "viewer",
    scope: "read",
    params: ZUuidPath("a reprocess job"),
    success: { status: 200, description: "The job.", schema: ZReprocessJob },
    problems: [400, 404],
    async handle({ services, actor, path }) {
      return {
        body: await getReprocessJob(services, actor, domainInput(ZReprocessJobId, path, "path")),
      };
    },
  }),
  defineRoute({
    operationId: "listTrust",
    method: "GET",
    path: "/trust",
    tag: "Trust",
    summary: "List trust scores",
    description:
      "Earned trust scores of one `kind` of entity (block versions, connector endpoints, models or flow versions), lowest first: each with its credible interval, n (decayed attempts) and the inputs it is computed from. Below n = 20 it reads \"not enough data\" (`enoughData: false`) and the baseline stands in. A flow version's score is its lowest step's. Findings in effect (anomalies not marked expected, guardian groups, fixes failing again) lower scores as bounded pseudo-failures (`findingsPenalty`, `findings`).",
    role: "viewer",
    scope: "read",
    query: ZTrustQuery,
    success: { status: 200, description: "A page of trust scores.", schema: page(ZTrustEntry) },
    problems: [400],
    async handle({ db, actor, query }) {
      try {
        return { body: await listTrustPage(db, actor, query, Date.now()) };
      } catch (e) {
        if (e instanceof AppError && e.details?.field === "cursor")
          throw new RestInputError([
            { in: "query", field: "cursor", pointer: "/cursor", detail: e.message },
          ]);
        throw e;
      }
    },
  }),
  defineRoute({
    operationId: "listAnomalies",
    method: "GET",
    path: "/anomalies",
    tag: "Trust",
    summary: "List anomalies",
    description:
      'Anomalies detected in run history, newest first: the entity (flow, block version, connector endpoint or model), the metric, the rule, the baseline, the observed value over the 15-minute window and its n. Repeats within the cooldown extend an anomaly (`lastSeenAt`, `repeats`). Entities with less than a day of 15-minute windows are not judged ("not enough data").',
    role: "viewer",
    scope: "read",
    query: ZAnomalyQuery,
    success: { status: 200, description: "A page of anomalies.", schema: page(ZAnomaly) },
    problems: [400],
    async handle({ db, actor, query }) {
      try {
        return { body: await listAnomalies(db, actor, query) };
      } catch (e) {
        if (e instanceof AppError && e.details?.field === "cursor")
          throw new RestInputError([
            { in: "query", field: "cursor", pointer: "/cursor", detail: e.message },
          ]);
        throw e;
      }
    },
  }),
  defineRoute({
    operationId: "getPredictionQuality",
    method: "GET",
    path: "/predictions/quality",
    tag: "Trust",
    summary: "Failure prediction quality",
    description:
      "The workspace's latest failure model: its rolling-origin backtest's figures (ROC-AUC, PR-AUC and Brier score of the model and of the baseline, the flow's recent failure rate), the protocol (windows, sizes, features, label rule), its weights, and whether runs may be gated on its risk (AUC ≥ 0.70 and ≥ 0.05 above the baseline). Without a model yet, `modelVersion` is null and `gate` says why.",
    role: "viewer",
    scope: "read",
    success: {
      status: 200,
      description: "The backtest's figures and protocol.",
      schema: ZPredictionQuality,
    },
    problems: [],
    async handle({ db, actor }) {
      return { body: await predictionQuality(db, actor.workspaceId) };
    },
  }),
  defineRoute({
    operationId: "listGuardianGroups",
    method: "GET",
    path: "/guardian/groups",
    tag: "Guardian",
    summary: "List failure groups",
    description:
      "The guardian's groups of failed attempts and dead letters, the most recent failure first: each with its fingerprint (flow, step, block, operation, error class and code, HTTP status, message template), its triage class (transient, resilience, mapping, drift, external, policy) and reasons, why its members belong together, counts and first and last seen.",
    role: "viewer",
    scope: "read",
    query: ZGuardianGroupsQuery,
    success: { status: 200, description: "A page of groups.", schema: page(ZGuardianGroup) },
    problems: [400],
    async handle({ db, actor, query }) {
      try {
        return { body: await listGroups(db, actor, domainInput(ZListGroupsInput, query, "query")) };
      } catch (e) {
        if (e instanceof AppError && e.details?.field === "cursor")
          throw new RestInputError([
            { in: "query", field: "cursor", pointer: "/cursor", detail: e.message },
          ]);
        throw e;
      }
    },
  }),
  defineRoute({
    operationId: "listGuardianProposals",
    method: "GET",
    path: "/guardian/proposals",
    tag: "Guardian",
    summary: "List fix proposals",
    description:
      "The guardian's fix proposals (of one group with `group`), newest first: each a patch of the flow version it is bound to (by IR hash), with its rule, rationale, the patched text and the base text, the SemVer bump, its status, proof and approval.",
    role: "viewer",
    scope: "read",
    query: ZGuardianProposalsQuery,
    success: {
      status: 200,
      description: "The proposals.",
      schema: z.object({ items: z.array(ZGuardianProposal) }),
    },
    problems: [400],
    async handle({ db, actor, query }) {
      const items = await listProposals(
        db,
        actor,
        domainInput(ZListProposalsInput, query, "query"),
      );
      // Each with its approval and release (issue 18, items 5-6).
      const reviews = new Map(
        (
          await proposalReviews(
            db,
            actor,
            items.map((p) => p.id),
          )
        ).map((r) => [r.id, r]),
      );
      return {
        body: {
          items: items.map((p) => ({
            ...p,
            approval: reviews.get(p.id)?.approval ?? null,
            release: reviews.get(p.id)?.release ?? null,
          })),
        },
      };
    },
  }),
];
