/** The mock CLM: contracts, renewals, signature requests (REST.md, "CLM"). */
import {
  conflict,
  currencyOf,
  emailOf,
  found,
  invalid,
  oneOf,
  optNumber,
  optString,
  plusDays,
  reqNumber,
  reqString,
  today,
  type Route,
} from "./http";
import { plusMonths } from "./seed";
import type { ClmState, Contract, Envelope } from "./state";

const contract = (s: ClmState, id: string) => found(s.contracts, "contract", id);
const envelope = (s: ClmState, id: string) => found(s.envelopes, "signature request", id);
const envelopeOut = (e: Envelope) => e;

export const clmRoutes: Route<ClmState>[] = [
  {
    operation: "contract.get",
    method: "GET",
    pattern: "/contracts/:id",
    handler: ({ state, params }) => ({ body: contract(state, params.id!) }),
  },
  {
    operation: "contract.create",
    method: "POST",
    pattern: "/contracts",
    handler: ({ state, body, now }) => {
      const template = reqString(body, "template");
      const cust = body.customer as Record<string, unknown> | undefined;
      if (typeof cust !== "object" || cust === null)
        throw invalid("customer {id, name, email} is required");
      const termMonths = optNumber(body, "termMonths", 1) ?? 12;
      const startDate = optString(body, "startDate") ?? today(now);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(startDate))
        throw invalid("startDate must be a date (YYYY-MM-DD)");
      const dealId = optString(body, "dealId");
      const c: Contract = {
        id: `CTR-${state.next.contract++}`,
        template,
        customer: {
          id: reqString(cust, "id"),
          name: reqString(cust, "name"),
          email: emailOf(cust),
        },
        currency: currencyOf(body),
        amount: reqNumber(body, "amount"),
        ...(dealId ? { dealId } : {}),
        status: "draft",
        signedAt: null,
        startDate,
        endDate: plusMonths(startDate, termMonths),
        termMonths,
      };
      state.contracts.set(c.id, c);
      return { status: 201, body: c };
    },
  },
  {
    operation: "contract.renew",
    method: "POST",
    pattern: "/contracts/:id/renewals",
    handler: ({ state, params, body }) => {
      const old = contract(state, params.id!);
      if (!["active", "signed", "expired"].includes(old.status)) {
        throw conflict(
          "not_renewable",
          `contract ${old.id} is ${old.status}; only active, signed or expired contracts renew`,
        );
      }
      const termMonths = reqNumber(body, "termMonths", 1);
      const renewal: Contract = {
        ...structuredClone(old),
        id: `CTR-${state.next.contract++}`,
        amount: optNumber(body, "amount") ?? old.amount,
        status: "draft",
        signedAt: null,
        startDate: old.endDate,
        endDate: plusMonths(old.endDate, termMonths),
        termMonths,
        renewalOf: old.id,
      };
      delete renewal.terminatedAt;
      delete renewal.terminationReason;
      state.contracts.set(renewal.id, renewal);
      return { status: 201, body: renewal };
    },
  },
  {
    operation: "contract.terminate",
    method: "POST",
    pattern: "/contracts/:id/terminate",
    handler: ({ state, params, body, now }) => {
      const c = contract(state, params.id!);
      const reason = oneOf(body, "reason", [
        "customer_request",
        "breach",
        "non_payment",
        "withdrawn",
        "saga_rollback",
      ] as const);
      if (!reason) throw invalid("reason is required");
      if (c.status !== "terminated") {
        const effective = optString(body, "effectiveDate");
        c.status = "terminated";
        c.terminatedAt = effective ? `${effective}T00:00:00.000Z` : now.toISOString();
        c.terminationReason = reason;
        for (const e of state.envelopes.values()) {
          if (e.contractId === c.id && (e.status === "sent" || e.status === "delivered"))
            e.status = "cancelled";
        }
      }
      return { body: c };
    },
  },
  {
    operation: "signature.request",
    method: "POST",
    pattern: "/signature-requests",
    handler: ({ state, body, now }) => {
      const c = contract(state, reqString(body, "contractId"));
      if (c.status !== "draft" && c.status !== "out_for_signature") {
        throw conflict(
          "not_signable",
          `contract ${c.id} is ${c.status}; only drafts go out for signature`,
        );
      }
      if (!Array.isArray(body.signers) || body.signers.length === 0)
        throw invalid("signers must list at least one signer");
      const signers = body.signers.map((s: unknown, i: number) => {
        if (typeof s !== "object" || s === null) throw invalid(`signers[${i}] must be an object`);
        const o = s as Record<string, unknown>;
        const role = oneOf(o, "role", ["customer", "company"] as const);
        return {
          name: reqString(o, "name"),
          email: emailOf(o),
          ...(role ? { role } : {}),
          status: "pending" as const,
        };
      });
      const n = state.next.envelope++;
      const e: Envelope = {
        envelopeId: `ENV-${((n * 2654435761) >>> 0).toString(16).slice(0, 4)}${n.toString(16)}`,
        contractId: c.id,
        status: "sent",
        ...(optString(body, "message") ? { message: optString(body, "message") } : {}),
        sentAt: now.toISOString(),
        expiresAt: `${plusDays(now, optNumber(body, "expiresInDays", 1) ?? 14)}T00:00:00.000Z`,
        signers,
      };
      state.envelopes.set(e.envelopeId, e);
      c.status = "out_for_signature";
      return { status: 201, body: envelopeOut(e) };
    },
  },
  {
    operation: "signature.get",
    method: "GET",
    pattern: "/signature-requests/:envelopeId",
    handler: ({ state, params }) => ({ body: envelopeOut(envelope(state, params.envelopeId!)) }),
  },
  {
    operation: "signature.cancel",
    method: "POST",
    pattern: "/signature-requests/:envelopeId/cancel",
    handler: ({ state, params }) => {
      const e = envelope(state, params.envelopeId!);
      if (e.status === "completed")
        throw conflict("envelope_completed", `envelope ${e.envelopeId} is already signed`);
      if (e.status !== "cancelled") {
        e.status = "cancelled";
        const c = state.contracts.get(e.contractId);
        if (c?.status === "out_for_signature") c.status = "draft";
      }
      return { body: envelopeOut(e) };
    },
  },
];
