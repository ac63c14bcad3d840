/** The mock billing system: accounts, invoices, charges, refunds (REST.md, "Billing"). */
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
  stringMap,
  type Route,
} from "./http";
import { hashSeed } from "./prng";
import { invoiceTotal, round2 } from "./seed";
import type { Account, BillingState, Invoice, InvoiceLine } from "./state";

const account = (s: BillingState, id: string) => found(s.accounts, "account", id);
const invoice = (s: BillingState, id: string) => found(s.invoices, "invoice", id);
function usable(a: Account) {
  if (a.status === "archived")
    throw conflict("account_archived", `account ${a.accountId} is archived`);
}
function lineOf(x: unknown, n: number): InvoiceLine {
  if (typeof x !== "object" || x === null) throw invalid(`lines[${n}] must be an object`);
  const l = x as Record<string, unknown>;
  const quantity = reqNumber(l, "quantity");
  if (quantity <= 0) throw invalid(`lines[${n}].quantity must be > 0`);
  const taxRate = optNumber(l, "taxRate");
  if (taxRate !== undefined && taxRate > 1)
    throw invalid(`lines[${n}].taxRate must be within 0..1`);
  return {
    description: reqString(l, "description"),
    quantity,
    unitPrice: reqNumber(l, "unitPrice"),
    ...(taxRate !== undefined ? { taxRate } : {}),
  };
}
/** Hex id suffix from a counter, so ids look like a payment processor's. */
const hexId = (prefix: string, n: number) =>
  `${prefix}-${(hashSeed(`${prefix}${n}`) & 0xffff).toString(16)}${n.toString(16)}`;

export const billingRoutes: Route<BillingState>[] = [
  {
    operation: "account.get",
    method: "GET",
    pattern: "/accounts/:accountId",
    handler: ({ state, params }) => ({ body: account(state, params.accountId!) }),
  },
  {
    operation: "account.upsert",
    method: "PUT",
    pattern: "/accounts",
    handler: ({ state, body, now }) => {
      const customer = body.customer as Record<string, unknown> | undefined;
      if (typeof customer !== "object" || customer === null)
        throw invalid("customer {id, name, email} is required");
      const customerId = reqString(customer, "id");
      const name = reqString(customer, "name");
      const email = emailOf(customer);
      const currency = currencyOf(body);
      const terms = optNumber(body, "paymentTermsDays");
      const address = body.billingAddress as Account["billingAddress"] | undefined;
      const metadata = stringMap(body, "metadata");
      const existing = [...state.accounts.values()].find((a) => a.customerId === customerId);
      if (existing) {
        usable(existing);
        if (existing.currency !== currency && existing.balance !== 0) {
          throw conflict(
            "currency_locked",
            `account ${existing.accountId} has an open balance in ${existing.currency}`,
          );
        }
        Object.assign(existing, { name, email, currency });
        if (terms !== undefined) existing.paymentTermsDays = terms;
        if (address) existing.billingAddress = address;
        if (metadata) existing.metadata = { ...existing.metadata, ...metadata };
        return { status: 200, body: { ...existing, created: false } };
      }
      const accountId = `ACC-${state.next.account++}`;
      const created: Account = {
        accountId,
        customerId,
        name,
        email,
        currency,
        // A deterministic credit decision: 5,000 to 100,000 by steps of 500.
        creditLimit: 5000 + (hashSeed(customerId) % 191) * 500,
        balance: 0,
        status: "active",
        paymentTermsDays: terms ?? 30,
        ...(address ? { billingAddress: address } : {}),
        metadata: metadata ?? {},
        createdAt: now.toISOString(),
      };
      state.accounts.set(accountId, created);
      return { status: 201, body: { ...created, created: true } };
    },
  },
  {
    operation: "account.archive",
    method: "POST",
    pattern: "/accounts/:accountId/archive",
    handler: ({ state, params, body, now }) => {
      const a = account(state, params.accountId!);
      if (a.status !== "archived") {
        if (a.balance > 0 && body.force !== true) {
          throw conflict(
            "open_balance",
            `account ${a.accountId} has an open balance of ${a.balance} ${a.currency}; pass force: true`,
          );
        }
        a.status = "archived";
        a.archivedAt = now.toISOString();
      }
      return { body: { ...a, status: "archived", archivedAt: a.archivedAt } };
    },
  },
  {
    operation: "invoice.create",
    method: "POST",
    pattern: "/invoices",
    handler: ({ state, body, now }) => {
      const a = account(state, reqString(body, "accountId"));
      usable(a);
      const currency = currencyOf(body);
      if (!Array.isArray(body.lines) || body.lines.length === 0)
        throw invalid("lines must have at least one line");
      const lines = body.lines.map(lineOf);
      const taxMode = oneOf(body, "taxMode", ["exclusive", "inclusive", "reverse_charge"] as const);
      if (!taxMode) throw invalid("taxMode is required: exclusive, inclusive or reverse_charge");
      const dueDays = optNumber(body, "dueDays") ?? a.paymentTermsDays;
      const total = invoiceTotal(lines, taxMode);
      const draft = body.draft === true;
      const n = state.next.invoice++;
      const inv: Invoice = {
        invoiceId: `INV-${n}`,
        accountId: a.accountId,
        number: `${now.getUTCFullYear()}-${String(n).padStart(6, "0")}`,
        currency,
        lines,
        taxMode,
        total,
        amountDue: total,
        status: draft ? "draft" : "open",
        dueDate: plusDays(now, dueDays),
        metadata: stringMap(body, "metadata") ?? {},
        createdAt: now.toISOString(),
      };
      state.invoices.set(inv.invoiceId, inv);
      if (!draft) {
        a.balance = round2(a.balance + total);
        if (a.balance > a.creditLimit && a.status === "active") a.status = "on_hold";
      }
      return { status: 201, body: inv };
    },
  },
  {
    operation: "invoice.get",
    method: "GET",
    pattern: "/invoices/:invoiceId",
    handler: ({ state, params }) => ({ body: invoice(state, params.invoiceId!) }),
  },
  {
    operation: "invoice.void",
    method: "POST",
    pattern: "/invoices/:invoiceId/void",
    handler: ({ state, params, now }) => {
      const inv = invoice(state, params.invoiceId!);
      if (inv.status === "paid")
        throw conflict("invoice_paid", `invoice ${inv.invoiceId} is paid: refund it instead`);
      if (inv.status !== "void") {
        const a = state.accounts.get(inv.accountId);
        if (a && inv.status === "open") a.balance = round2(a.balance - inv.amountDue);
        inv.status = "void";
        inv.amountDue = 0;
        inv.voidedAt = now.toISOString();
      }
      return { body: inv };
    },
  },
  {
    operation: "invoice.send",
    method: "POST",
    pattern: "/invoices/:invoiceId/send",
    handler: ({ state, params, body, now }) => {
      const inv = invoice(state, params.invoiceId!);
      if (inv.status !== "open")
        throw conflict("invoice_not_open", `invoice ${inv.invoiceId} is ${inv.status}, not open`);
      const channel = oneOf(body, "channel", ["email", "portal"] as const) ?? "email";
      const to = optString(body, "to") ?? state.accounts.get(inv.accountId)?.email;
      inv.sentAt = now.toISOString();
      return {
        body: { invoiceId: inv.invoiceId, sentAt: inv.sentAt, channel, ...(to ? { to } : {}) },
      };
    },
  },
  {
    operation: "charge.create",
    method: "POST",
    pattern: "/charges",
    handler: ({ state, body, now }) => {
      const a = account(state, reqString(body, "accountId"));
      usable(a);
      const amount = reqNumber(body, "amount");
      if (amount <= 0) throw invalid("amount must be > 0");
      const currency = currencyOf(body);
      const paymentMethodId = optString(body, "paymentMethodId");
      const description = optString(body, "description");
      const chargeId = hexId("CH", state.next.charge++);
      const charge = {
        chargeId,
        accountId: a.accountId,
        amount,
        currency,
        refunded: 0,
        // Large charges wait for the payment network.
        status: amount > 50_000 ? ("pending" as const) : ("succeeded" as const),
        ...(paymentMethodId ? { paymentMethodId } : {}),
        ...(description ? { description } : {}),
        createdAt: now.toISOString(),
      };
      state.charges.set(chargeId, charge);
      return { status: 201, body: charge };
    },
  },
  {
    operation: "refund.create",
    method: "POST",
    pattern: "/refunds",
    handler: ({ state, body, now }) => {
      const chargeId = reqString(body, "chargeId");
      const charge = found(state.charges, "charge", chargeId);
      if (charge.status === "failed")
        throw conflict("charge_failed", `charge ${chargeId} failed: nothing to refund`);
      const reason = oneOf(body, "reason", [
        "duplicate",
        "fraudulent",
        "requested_by_customer",
        "saga_rollback",
      ] as const);
      if (!reason) throw invalid("reason is required");
      const remaining = round2(charge.amount - charge.refunded);
      const amount = optNumber(body, "amount") ?? remaining;
      if (amount <= 0 || amount > remaining) {
        throw invalid(
          `amount must be within 0..${remaining} (${charge.currency} still refundable)`,
        );
      }
      const currency = optString(body, "currency") ?? charge.currency;
      if (currency !== charge.currency)
        throw invalid(`currency must be ${charge.currency}, the charge's currency`);
      charge.refunded = round2(charge.refunded + amount);
      const refund = {
        refundId: hexId("RF", state.next.refund++),
        chargeId,
        amount,
        currency,
        reason,
        status: "succeeded" as const,
        createdAt: now.toISOString(),
      };
      state.refunds.set(refund.refundId, refund);
      return { status: 201, body: refund };
    },
  },
];
