/**
 * The guardian's fingerprint of one failure (issue 18, item 1): a failed attempt (and the dead
 * letter its final attempt left, if any) reduced to what says "the same problem": the flow, the
 * step and its block, the connector operation, the error's class and code, the HTTP status, and
 * the message as a template (numbers, ids, uuids, emails, URLs and quoted values masked).
 * Pure: the consumer reads the rows, the corpus test builds the records by hand.
 */
import { createHash } from "node:crypto";

/** The grouping rules' version: stored on every group and member; bumped when these change. */
export const GROUPING_RULES_VERSION = 1;
/** Characters of a message kept (and templated); the rest is cut. */
export const MAX_MESSAGE_CHARS = 1000;
/** Characters of a template compared by edit distance (bounds its quadratic cost). */
export const MAX_TEMPLATE_COMPARE = 240;

/** What the guardian knows about one failed attempt. */
export interface FailureRecord {
  workspaceId: string;
  runId: string;
  stepId: string;
  attempt: number;
  workflowId: string | null;
  flowName: string;
  version: string | null;
  /** Hash of the IR the run executed (the flow version's `irHash`). */
  irHash: string;
  blockId: string;
  errorName: string;
  message: string;
  /** `detail.code`, `detail.limit` or `detail.rule` when the error carries one. */
  code: string | null;
  httpStatus: number | null;
  /** The engine's classification category (auth, authz, validation, integration, ...). */
  category: string | null;
  retryable: boolean;
  retryAfterMs: number | null;
  /** The dead letter this (final) attempt left, when it left one. */
  deadLetterId: string | null;
  /** A later attempt of the same step in the same run succeeded. */
  recovered: boolean;
  at: number;
  /**
   * What the step read from an upstream step, when its error names a field or a type: that
   * step's output in this run and in the last run where this step succeeded.
   */
  upstream?: { stepId: string; output: unknown; lastGoodOutput?: unknown } | undefined;
}

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const EMAIL = /\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g;
const URL_RE = /\bhttps?:\/\/[^\s'"`)]+/gi;
const QUOTED = /'[^'\n]{0,200}'|"[^"\n]{0,200}"|`[^`\n]{0,200}`/g;
const PREFIXED_ID = /\b[A-Za-z]{1,12}[-_]\d[\w-]*\b/g;
const HEX = /\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b/gi;
const TIMESTAMP =
  /\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?/g;
const NUMBER = /\d+(?:[.,]\d+)*/g;
const PATH_SEGMENT_ID = /\/(?=[^/\s]*\d)[^/\s?#]{1,64}/g;

/**
 * The message with its variable parts masked: what stays is the wording a program wrote.
 *
 * @example
 * messageTemplate("crm GET /contacts/CON-1042 failed with HTTP 429: retry in 30 s");
 * // "crm GET /contacts/<id> failed with HTTP <n>: retry in <n> s"
 */
export function messageTemplate(message: string): string {
  return message
    .slice(0, MAX_MESSAGE_CHARS)
    .replace(URL_RE, "<url>")
    .replace(TIMESTAMP, "<time>")
    .replace(UUID, "<uuid>")
    .replace(EMAIL, "<email>")
    .replace(QUOTED, (q) => `${q[0]}<v>${q[0]}`)
    .replace(PREFIXED_ID, "<id>")
    .replace(PATH_SEGMENT_ID, "/<id>")
    .replace(HEX, "<hex>")
    .replace(NUMBER, "<n>")
    .replace(/\s+/g, " ")
    .trim();
}

/** The connector operation a message names (`crm GET /contacts/<id>`), or the block id. */
export function operationOf(blockId: string, template: string): string {
  const m = /^([\w.-]+) (GET|POST|PUT|PATCH|DELETE) (\/\S*)/.exec(template);
  return m ? `${m[1]} ${m[2]} ${m[3]!.replace(/:$/, "")}` : blockId;
}

/** The fields a group's members must share exactly (the similarity applies to the template). */
export interface FingerprintParts {
  flow: string;
  stepId: string;
  blockId: string;
  operation: string;
  errorName: string;
  code: string | null;
  httpStatus: number | null;
  template: string;
}

/** A failure's fingerprint: its parts, the exact key of the shared fields, and a short hash. */
export interface Fingerprint extends FingerprintParts {
  strictKey: string;
  hash: string;
}

/**
 * The fingerprint of one failure.
 *
 * @example
 * fingerprint(record).strictKey; // "wf-id|look|crm.contact.get@1|crm GET /contacts/<id>|ConnectorError||429"
 */
export function fingerprint(f: FailureRecord): Fingerprint {
  const template = messageTemplate(f.message);
  const parts: FingerprintParts = {
    flow: f.workflowId ?? f.flowName,
    stepId: f.stepId,
    blockId: f.blockId,
    operation: operationOf(f.blockId, template),
    errorName: f.errorName,
    code: f.code,
    httpStatus: f.httpStatus,
    template,
  };
  const strictKey = [
    parts.flow,
    parts.stepId,
    parts.blockId,
    parts.operation,
    parts.errorName,
    parts.code ?? "",
    parts.httpStatus ?? "",
  ].join("|");
  const hash = createHash("sha256")
    .update(`${GROUPING_RULES_VERSION}\u0000${strictKey}\u0000${template}`)
    .digest("hex")
    .slice(0, 16);
  return { ...parts, strictKey, hash };
}
