/**
 * The CLM connector: contracts, renewals and signature requests. REST shapes: `REST.md`, "CLM".
 * Compensations: contract.create -> contract.terminate, signature.request -> signature.cancel.
 */
import { defineConnector, omit } from "./framework/connector";

export const clmConnector = defineConnector({
  system: "clm",
  title: "Contract lifecycle (CLM)",
  operations: [
    { block: "clm.contract.get@1", method: "GET", path: "/contracts/{id}" },
    { block: "clm.contract.create@1", method: "POST", path: "/contracts" },
    {
      block: "clm.contract.renew@1",
      method: "POST",
      path: "/contracts/{id}/renewals",
      body: (i) => omit(i, "id"),
    },
    {
      block: "clm.contract.terminate@1",
      method: "POST",
      path: "/contracts/{id}/terminate",
      body: (i) => omit(i, "id"),
    },
    { block: "clm.signature.request@1", method: "POST", path: "/signature-requests" },
    { block: "clm.signature.get@1", method: "GET", path: "/signature-requests/{envelopeId}" },
    {
      block: "clm.signature.cancel@1",
      method: "POST",
      path: "/signature-requests/{envelopeId}/cancel",
      body: (i) => omit(i, "envelopeId"),
    },
  ],
});
