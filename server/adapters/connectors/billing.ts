/**
 * The billing connector: accounts, invoices, charges, refunds. REST shapes: `REST.md`, "Billing".
 * Older majors of `billing.account.upsert` and `billing.invoice.create` map onto the one current
 * REST API here, so the server never sees a deprecated shape.
 * Compensations: account.upsert -> account.archive, invoice.create -> invoice.void,
 * charge.create -> refund.create.
 */
import { defineConnector, omit, withPathParams } from "./framework/connector";

/**
 * The inputs without `idempotencyKey`: the key travels as the Idempotency-Key header, as payment
 * APIs expect (e.g. `POST /invoices` gets lines, tax mode, due days and the draft flag).
 */
function bodyWithoutKey(i: Record<string, unknown>) {
  return omit(i, "idempotencyKey");
}

export const billingConnector = defineConnector({
  system: "billing",
  title: "Billing",
  operations: [
    { block: "billing.account.get@1", method: "GET", path: "/accounts/{accountId}" },
    {
      block: "billing.account.upsert@1",
      method: "PUT",
      path: "/accounts",
      body: (i) => ({
        customer: { id: i.customerId, name: i.name, email: i.email },
        currency: i.currency,
      }),
    },
    { block: "billing.account.upsert@2", method: "PUT", path: "/accounts" },
    withPathParams("billing.account.archive@1", "POST", "/accounts/{accountId}/archive"),
    {
      block: "billing.invoice.create@1",
      method: "POST",
      path: "/invoices",
      body: (i) => ({
        accountId: i.accountId,
        currency: i.currency,
        // v1 spoke cents; the API speaks major units.
        lines: [{ description: "Invoice", quantity: 1, unitPrice: Number(i.amountCents) / 100 }],
        taxMode: "exclusive",
      }),
    },
    {
      block: "billing.invoice.create@2",
      method: "POST",
      path: "/invoices",
      body: (i) => ({
        accountId: i.accountId,
        currency: i.currency,
        lines: [{ description: i.description ?? "Invoice", quantity: 1, unitPrice: i.amount }],
        taxMode: "exclusive",
      }),
    },
    {
      block: "billing.invoice.create@3",
      method: "POST",
      path: "/invoices",
      // v3 always added tax on top: that is `taxMode: exclusive`.
      body: (i) => ({ ...i, taxMode: "exclusive" }),
    },
    { block: "billing.invoice.create@4", method: "POST", path: "/invoices", body: bodyWithoutKey },
    { block: "billing.invoice.get@1", method: "GET", path: "/invoices/{invoiceId}" },
    withPathParams("billing.invoice.void@1", "POST", "/invoices/{invoiceId}/void"),
    withPathParams("billing.invoice.send@1", "POST", "/invoices/{invoiceId}/send"),
    { block: "billing.charge.create@1", method: "POST", path: "/charges", body: bodyWithoutKey },
    { block: "billing.refund.create@1", method: "POST", path: "/refunds", body: bodyWithoutKey },
  ],
});
