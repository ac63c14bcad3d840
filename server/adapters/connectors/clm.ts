/**
 * The CLM connector: contracts, renewals and signature requests. REST shapes: `REST.md`, "CLM".
 * Compensations: contract.create -> contract.terminate, signature.request -> signature.cancel.
 */
import { defineConnector, withPathParams } from "./framework/connector";

export const clmConnector = defineConnector({
  system: "clm",
  title: "Contract lifecycle (CLM)",
  operations: [
    { block: "clm.contract.get@1", method: "GET", path: "/contracts/{id}" },
    { block: "clm.contract.create@1", method: "POST", path: "/contracts" },
    withPathParams("clm.contract.renew@1", "POST", "/contracts/{id}/renewals"),
    withPathParams("clm.contract.terminate@1", "POST", "/contracts/{id}/terminate"),
    { block: "clm.signature.request@1", method: "POST", path: "/signature-requests" },
    { block: "clm.signature.get@1", method: "GET", path: "/signature-requests/{envelopeId}" },
    withPathParams("clm.signature.cancel@1", "POST", "/signature-requests/{envelopeId}/cancel"),
  ],
});
