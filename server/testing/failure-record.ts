/**
 * TEST FIXTURE (the guardian's unit tests): a failure record of the step `sync`
 * (`crm.contact.update@1`) of version 1.4.0 of the flow `contact-sync`, a retryable integration
 * error with no message, in the first attempt of run `r1`; `over` replaces any of its fields.
 */
import type { FailureRecord } from "@/server/domain/guardian/fingerprint";

export function failureRecord(over: Partial<FailureRecord> = {}): FailureRecord {
  return {
    workspaceId: "ws",
    runId: "r1",
    stepId: "sync",
    attempt: 1,
    workflowId: "wf",
    flowName: "contact-sync",
    version: "1.4.0",
    irHash: "h",
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
    at: 0,
    ...over,
  };
}
