import type { FlowIR } from "@/dsl";

/**
 * The IR of a webhook flow with no steps, for store tests that need a run's IR but never
 * execute it. Its hash is `hash-of-<name>`; the hash leaves spans out, so two IRs of one name
 * differing only in `spanLine` (two texts of one flow, laid out differently) share it.
 */
export const emptyWebhookIr = (name: string, spanLine = 1): FlowIR =>
  ({
    name,
    version: "1.0.0",
    sla: "T1",
    trustMin: null,
    trust: 1,
    consentPurposes: [],
    trigger: { type: "webhook" },
    inputsSchema: { type: "object" },
    outputs: {},
    steps: [],
    policies: [],
    sandboxOnly: false,
    hash: `hash-of-${name}`,
    spans: { flow: { line: spanLine, col: 1 } },
  }) as unknown as FlowIR;
