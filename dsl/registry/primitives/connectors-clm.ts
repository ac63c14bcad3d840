/** Contract lifecycle management blocks: contracts and e-signatures (`system: clm`). */
import type { BlockDefinition } from "../../types";
import {
  amount,
  arr,
  currency,
  customer,
  email,
  obj,
  oneOfValues,
  str,
  timestamp,
} from "./json-schema";

const contractId = str("Contract id", { pattern: "^CTR-[0-9]+$" });
const envelopeId = str("Signature envelope id", { pattern: "^ENV-[0-9A-Za-z]+$" });
const contractStatus = oneOfValues([
  "draft",
  "out_for_signature",
  "signed",
  "active",
  "expired",
  "terminated",
]);
const signer = obj(
  { name: str(undefined, { minLength: 1 }), email, role: oneOfValues(["customer", "company"]) },
  ["name", "email"],
);

const clm = { kind: "connector", system: "clm", tags: ["clm"] } satisfies Partial<BlockDefinition>;

/** CLM connector blocks. */
export const clmBlocks: BlockDefinition[] = [
  {
    ...clm,
    id: "clm.contract.get",
    version: "1.3.0",
    title: "Get contract",
    docs: "Reads a contract: its customer, commercial terms and signature status.\n\n- `amount` is the total contract value in `currency`.\n- `dealId` links the CRM deal the contract closes, when there is one.\n- `signedAt` is set once every party has signed.",
    inputSchema: obj({ id: contractId }, ["id"]),
    outputSchema: obj(
      {
        id: contractId,
        customer,
        currency,
        dealId: str("CRM deal id", { pattern: "^DEAL-[0-9]+$" }),
        amount,
        status: contractStatus,
        signedAt: { type: ["string", "null"], format: "date-time" },
        startDate: str(undefined, { format: "date" }),
        endDate: str(undefined, { format: "date" }),
      },
      ["id", "customer", "currency", "amount", "status", "signedAt"],
    ),
    sideEffect: "read",
    baselineTrust: 0.99,
    example: { id: "CTR-1001" },
  },
  {
    ...clm,
    id: "clm.contract.create",
    version: "1.1.0",
    title: "Create contract",
    docs: "Creates a draft contract from a template.\n\nCompensation: `clm.contract.terminate@1` (a draft is withdrawn).",
    inputSchema: obj(
      {
        template: str("Template key, e.g. `msa-2024`", { pattern: "^[a-z0-9-]+$" }),
        customer,
        currency,
        amount,
        dealId: str(undefined, { pattern: "^DEAL-[0-9]+$" }),
        startDate: str(undefined, { format: "date" }),
        termMonths: { type: "integer", minimum: 1, maximum: 120 },
      },
      ["template", "customer", "currency", "amount"],
    ),
    outputSchema: obj({ id: contractId, status: contractStatus }, ["id", "status"]),
    sideEffect: "write",
    compensation: "clm.contract.terminate@1",
    baselineTrust: 0.96,
    example: {
      template: "msa-2024",
      customer: { id: "CUS-88", name: "Ada Lovelace", email: "ada@example.com" },
      currency: "EUR",
      amount: 48000,
      termMonths: 12,
    },
  },
  {
    ...clm,
    id: "clm.contract.renew",
    version: "1.0.0",
    title: "Renew contract",
    docs: "Creates the renewal of an active or expiring contract, for `termMonths` more, optionally at a new amount.",
    inputSchema: obj(
      { id: contractId, termMonths: { type: "integer", minimum: 1, maximum: 120 }, amount },
      ["id", "termMonths"],
    ),
    outputSchema: obj(
      {
        id: contractId,
        renewalOf: contractId,
        status: contractStatus,
        endDate: str(undefined, { format: "date" }),
      },
      ["id", "renewalOf", "status"],
    ),
    sideEffect: "write",
    baselineTrust: 0.96,
    example: { id: "CTR-1001", termMonths: 12 },
  },
  {
    ...clm,
    id: "clm.contract.terminate",
    version: "1.0.0",
    title: "Terminate contract",
    docs: "Terminates a contract (or withdraws a draft) with a reason and an effective date (default: today).",
    inputSchema: obj(
      {
        id: contractId,
        reason: oneOfValues([
          "customer_request",
          "breach",
          "non_payment",
          "withdrawn",
          "saga_rollback",
        ]),
        effectiveDate: str(undefined, { format: "date" }),
      },
      ["id", "reason"],
    ),
    outputSchema: obj(
      { id: contractId, status: { const: "terminated" }, terminatedAt: timestamp },
      ["id", "status", "terminatedAt"],
    ),
    sideEffect: "write",
    baselineTrust: 0.97,
    example: { id: "CTR-1001", reason: "customer_request" },
  },
  {
    ...clm,
    id: "clm.signature.request",
    version: "1.2.0",
    title: "Request signatures",
    docs: "Sends a contract for e-signature to the listed signers, in order.\n\nCompensation: `clm.signature.cancel@1`.",
    inputSchema: obj(
      {
        contractId,
        signers: arr(signer, { minItems: 1, maxItems: 10 }),
        message: str(undefined, { maxLength: 2000 }),
        expiresInDays: { type: "integer", minimum: 1, maximum: 90, default: 14 },
      },
      ["contractId", "signers"],
    ),
    outputSchema: obj(
      { envelopeId, status: oneOfValues(["sent", "delivered"]), sentAt: timestamp },
      ["envelopeId", "status", "sentAt"],
    ),
    sideEffect: "write",
    compensation: "clm.signature.cancel@1",
    baselineTrust: 0.97,
    example: {
      contractId: "CTR-1001",
      signers: [{ name: "Ada Lovelace", email: "ada@example.com", role: "customer" }],
    },
  },
  {
    ...clm,
    id: "clm.signature.get",
    version: "1.0.0",
    title: "Get signature status",
    docs: "Reads the status of a signature envelope and of each signer.",
    inputSchema: obj({ envelopeId }, ["envelopeId"]),
    outputSchema: obj(
      {
        envelopeId,
        status: oneOfValues(["sent", "delivered", "completed", "declined", "cancelled", "expired"]),
        signers: arr(
          obj(
            { email, status: oneOfValues(["pending", "signed", "declined"]), signedAt: timestamp },
            ["email", "status"],
          ),
        ),
      },
      ["envelopeId", "status", "signers"],
    ),
    sideEffect: "read",
    baselineTrust: 0.99,
    example: { envelopeId: "ENV-7a1" },
  },
  {
    ...clm,
    id: "clm.signature.cancel",
    version: "1.0.0",
    title: "Cancel signature request",
    docs: "Cancels a pending signature envelope; signers are notified. Used as the compensation of `clm.signature.request@1`.",
    inputSchema: obj({ envelopeId, reason: str(undefined, { maxLength: 500 }) }, ["envelopeId"]),
    outputSchema: obj({ envelopeId, status: { const: "cancelled" } }, ["envelopeId", "status"]),
    sideEffect: "write",
    baselineTrust: 0.98,
    example: { envelopeId: "ENV-7a1", reason: "saga rollback" },
  },
];
