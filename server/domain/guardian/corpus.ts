/**
 * The guardian's labelled failure corpus (issue 18, item 4): several hundred seeded failures over
 * a dozen flows, each labelled with the failure class planted and the triage class expected.
 * Used by the corpus test and the benchmark (`bench/guardian-corpus.ts`); deterministic for a
 * seed. The flows compile with the server's registry; the failures look like the engine's own
 * (ConnectorError texts from the connector framework, CEL errors from the evaluator).
 */
import type { FailureRecord } from "./fingerprint";
import type { TriageClass } from "./triage";

export const PLANTED = [
  "schema-drift",
  "timeout",
  "rate-limit-storm",
  "expired-credential",
  "bad-mapping",
  "flaky-network",
  "policy-refusal",
  "bad-input",
] as const;
export type Planted = (typeof PLANTED)[number];

/** The triage class each planted failure must get (the mapping). */
export const EXPECTED_CLASS: Record<Planted, TriageClass> = {
  "schema-drift": "drift",
  timeout: "resilience",
  "rate-limit-storm": "resilience",
  "expired-credential": "external",
  "bad-mapping": "mapping",
  "flaky-network": "transient",
  "policy-refusal": "policy",
  // An input the flow accepted that a step cannot use (a seat count of 0): mapping, patched by
  // the stricter input schema rule.
  "bad-input": "mapping",
};

export interface LabelledFailure {
  planted: Planted;
  record: FailureRecord;
  /** The failing run's inputs (bad-input failures). */
  inputs?: Record<string, unknown>;
}

export interface CorpusFlow {
  workflowId: string;
  name: string;
  version: string;
  /** The failing version's text (the bad-mapping flows carry the typo). */
  text: string;
  /** Inputs of the flow's recent successful runs (the stricter input schema rule's evidence). */
  succeededInputs: Record<string, unknown>[];
}

/** The flow's text: comments and an aligned layout the patches must keep. */
export function corpusFlowText(name: string, opts: { typo?: boolean } = {}): string {
  const field = opts.typo ? "emial" : "email";
  return `# ${name}: keeps the CRM contact in step with the profile service.
flow: ${name}
version: 1.4.0
inputs:
  contactId: { type: string, pattern: "^CON-[0-9]+$", examples: [CON-1042] }
  amount: { type: number, examples: [120] }
  seats: { type: number, examples: [4] }   # from the order form
steps:
  - id: fetch            # the profile service
    uses: http.request@1
    with:
      method: GET
      url: https://profiles.example.com/v1/people
  - id: shape
    uses: data.transform@1
    with:
      fields:
        email: steps.fetch.output.body.${field}   # mapped by hand
        total: steps.fetch.output.body.amount * 2
  - id: check
    uses: policy.check@1
    with:
      rule: inputs.amount <= 10000
      otherwise: fail
      message: amount over the approval limit
  - id: sync
    uses: crm.contact.update@1
    with:
      id: \${{ inputs.contactId }}
      email: \${{ steps.shape.output.email }}
  - id: quota
    uses: data.transform@1
    with:
      fields:
        perSeat: 1200 / int(inputs.seats)
ui:
  positions:
    fetch: [0, 0]
    shape: [0, 140]
`;
}

/** A small seeded PRNG (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FLOW_NAMES = [
  "contact-sync",
  "lead-enrich",
  "invoice-mail",
  "renewal-notice",
  "deal-close",
  "refund-check",
  "churn-watch",
  "quote-send",
  "profile-merge",
  "signup-welcome",
  "billing-audit",
  "partner-feed",
];

const uuid = (rnd: () => number) =>
  "xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx".replace(/x/g, () => Math.floor(rnd() * 16).toString(16));

/**
 * The corpus: per flow, a random subset of the planted classes, 8–30 failures each.
 *
 * @example
 * const { flows, failures } = buildCorpus(18);
 */
export function buildCorpus(seed = 18): { flows: CorpusFlow[]; failures: LabelledFailure[] } {
  const rnd = seeded(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const flows: CorpusFlow[] = [];
  const failures: LabelledFailure[] = [];
  let t = Date.UTC(2026, 11, 1);
  FLOW_NAMES.forEach((name, i) => {
    const workflowId = `00000000-0000-4000-8000-${String(i + 1).padStart(12, "0")}`;
    const typo = i % 3 === 1;
    flows.push({
      workflowId,
      name,
      version: "1.4.0",
      text: corpusFlowText(name, { typo }),
      succeededInputs: Array.from({ length: 5 }, () => ({
        contactId: `CON-${int(1, 99999)}`,
        amount: int(1, 900),
        seats: int(1, 40),
      })),
    });
    const classes = PLANTED.filter((p) =>
      p === "bad-mapping" ? typo : p === "schema-drift" ? !typo : rnd() < 0.75,
    );
    for (const planted of classes) {
      const n = int(8, 30);
      for (let k = 0; k < n; k++) {
        const runId = uuid(rnd);
        const contact = `CON-${int(1, 99999)}`;
        const email = `${pick(["ada", "bob", "cy", "dee"])}${int(1, 999)}@${pick(["example.com", "corp.io"])}`;
        const base: FailureRecord = {
          workspaceId: "ws",
          runId,
          stepId: "sync",
          attempt: 1,
          workflowId,
          flowName: name,
          version: "1.4.0",
          irHash: `sha256:${name}`,
          blockId: "crm.contact.update@1",
          errorName: "ConnectorError",
          message: "",
          code: null,
          httpStatus: null,
          category: "integration",
          retryable: true,
          retryAfterMs: null,
          deadLetterId: null,
          recovered: false,
          at: (t += int(1000, 90_000)),
        };
        const body = { id: contact, name: "Ada", amount: int(1, 900) };
        const record = ((): FailureRecord => {
          switch (planted) {
            case "schema-drift": {
              const typeDrift = rnd() < 0.3;
              return {
                ...base,
                stepId: "shape",
                blockId: "data.transform@1",
                errorName: "ExpressionError",
                category: "system",
                retryable: false,
                message: typeDrift
                  ? "found no matching overload for '_*_' applied to '(string, int)' (in `steps.fetch.output.body.amount * 2`)"
                  : "field not found: email (in `steps.fetch.output.body.email`)",
                upstream: {
                  stepId: "fetch",
                  output: {
                    status: 200,
                    headers: {},
                    body: typeDrift
                      ? { ...body, email, amount: `${body.amount}.00` }
                      : { ...body, emailAddress: email },
                  },
                  lastGoodOutput: { status: 200, headers: {}, body: { ...body, email } },
                },
              };
            }
            case "bad-mapping":
              return {
                ...base,
                stepId: "shape",
                blockId: "data.transform@1",
                errorName: "ExpressionError",
                category: "system",
                retryable: false,
                message: "field not found: emial (in `steps.fetch.output.body.emial`)",
                upstream: {
                  stepId: "fetch",
                  output: { status: 200, headers: {}, body: { ...body, email } },
                  lastGoodOutput: { status: 200, headers: {}, body: { ...body, email } },
                },
              };
            case "timeout":
              return {
                ...base,
                errorName: "TimeoutError",
                category: "performance",
                message: `attempt timed out after ${pick([30000, 30000, 15000])} ms`,
                attempt: int(1, 5),
                deadLetterId: rnd() < 0.5 ? uuid(rnd) : null,
              };
            case "rate-limit-storm": {
              const wait = int(1, 60);
              return {
                ...base,
                errorName: rnd() < 0.7 ? "RetryAfterError" : "ConnectorError",
                httpStatus: 429,
                category: "integration",
                retryAfterMs: wait * 1000,
                attempt: int(1, 5),
                message: `crm PATCH /contacts/${contact} failed with HTTP 429: ${pick(["rate limit exceeded", "Rate limit exceeded"])}, retry in ${wait} seconds (request ${uuid(rnd)})`,
              };
            }
            case "expired-credential":
              return {
                ...base,
                errorName: "NonRetryableError",
                httpStatus: 401,
                category: "auth",
                retryable: false,
                message: `crm PATCH /contacts/${contact} failed with HTTP 401: ${pick(["token expired", "The access token expired"])} at 2026-12-0${int(1, 5)}T${int(10, 23)}:00:00Z`,
                deadLetterId: uuid(rnd),
              };
            case "flaky-network":
              return {
                ...base,
                message: `crm PATCH /contacts/${contact}: network error: ${pick(["read ECONNRESET", "socket hang up", "read ECONNRESET"])}`,
                recovered: rnd() < 0.8,
              };
            case "bad-input":
              return {
                ...base,
                stepId: "quota",
                blockId: "data.transform@1",
                errorName: "ExpressionError",
                category: "system",
                retryable: false,
                message: "int divide by zero (in `1200 / int(inputs.seats)`)",
              };
            case "policy-refusal":
              return {
                ...base,
                stepId: "check",
                blockId: "policy.check@1",
                errorName: "NonRetryableError",
                category: "authz",
                retryable: false,
                code: "inputs.amount <= 10000",
                message: `amount over the approval limit (${int(10001, 90000)} for ${email})`,
              };
          }
        })();
        failures.push(
          planted === "bad-input"
            ? { planted, record, inputs: { contactId: contact, amount: body.amount, seats: 0 } }
            : { planted, record },
        );
      }
    }
  });
  // Interleave the flows' failures as they would arrive.
  failures.sort((a, b) => a.record.at - b.record.at || (rnd() < 0.5 ? -1 : 1));
  for (let i = failures.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [failures[i], failures[j]] = [failures[j]!, failures[i]!];
  }
  return { flows, failures };
}
