/** Billing connector blocks: accounts, invoices, charges, refunds (`system: billing`). */
import type { BlockDefinition, JsonSchema } from "../../types";
import {
  address,
  amount,
  arr,
  currency,
  customer,
  email,
  metadata,
  obj,
  oneOfValues,
  str,
  timestamp,
} from "./json-schema";

const accountId = str("Billing account id", { pattern: "^ACC-[0-9]+$" });
const invoiceId = str("Invoice id", { pattern: "^INV-[0-9]+$" });
const chargeId = str("Charge id", { pattern: "^CH-[0-9A-Za-z]+$" });
const accountStatus = oneOfValues(["active", "on_hold", "archived"]);
const invoiceStatus = oneOfValues(["draft", "open", "paid", "void", "uncollectible"]);
const idempotencyKey = str("Deduplicates retries: the same key returns the first result", {
  minLength: 8,
  maxLength: 128,
});

const account: JsonSchema = obj(
  {
    accountId,
    customerId: str("Customer id in the source system"),
    name: str(),
    email,
    currency,
    creditLimit: { type: "number", minimum: 0 },
    balance: { type: "number" },
    status: accountStatus,
    createdAt: timestamp,
  },
  ["accountId", "customerId", "currency", "creditLimit", "balance", "status"],
);

const invoiceLine: JsonSchema = obj(
  {
    description: str(undefined, { minLength: 1, maxLength: 500 }),
    quantity: { type: "number", exclusiveMinimum: 0 },
    unitPrice: amount,
    taxRate: { type: "number", minimum: 0, maximum: 1, description: "0.2 = 20 %" },
  },
  ["description", "quantity", "unitPrice"],
);

const invoiceCreated: JsonSchema = obj(
  {
    invoiceId,
    number: str("Human-facing invoice number"),
    total: amount,
    currency,
    status: invoiceStatus,
    dueDate: str(undefined, { format: "date" }),
  },
  ["invoiceId", "number", "total", "currency", "status"],
);

const billing = {
  kind: "connector",
  system: "billing",
  tags: ["billing"],
} satisfies Partial<BlockDefinition>;
const writeSla = { tier: "T1" } satisfies BlockDefinition["sla"];

/** Billing connector blocks (several majors of `billing.account.upsert` and `billing.invoice.create`). */
export const billingBlocks: BlockDefinition[] = [
  {
    ...billing,
    id: "billing.account.get",
    version: "1.1.0",
    title: "Get billing account",
    docs: "Reads a billing account by id: status, credit limit and open balance.",
    inputSchema: obj({ accountId }, ["accountId"]),
    outputSchema: account,
    sideEffect: "read",
    baselineTrust: 0.99,
    example: { accountId: "ACC-5521" },
  },
  {
    ...billing,
    id: "billing.account.upsert",
    version: "1.3.0",
    title: "Upsert billing account (v1)",
    docs: "Creates or updates the billing account of a customer, from flat fields.\n\nDeprecated: use `billing.account.upsert@2`.",
    inputSchema: obj(
      { customerId: str(), name: str(undefined, { minLength: 1 }), email, currency },
      ["customerId", "name", "email", "currency"],
    ),
    outputSchema: obj({ accountId, status: accountStatus }, ["accountId", "status"]),
    sideEffect: "write",
    sla: writeSla,
    compensation: "billing.account.archive@1",
    baselineTrust: 0.96,
    example: {
      customerId: "CUS-88",
      name: "Ada Lovelace",
      email: "ada@example.com",
      currency: "EUR",
    },
    deprecated: {
      message:
        "@2 takes the customer as one object (`customer: {id, name, email}`) instead of customerId/name/email, and returns the credit limit",
      replacement: "billing.account.upsert@2",
    },
  },
  {
    ...billing,
    id: "billing.account.upsert",
    version: "2.1.0",
    title: "Upsert billing account",
    docs: "Creates the billing account of a customer, or updates the one keyed by `customer.id`.\n\n- Output `creditLimit` is the limit the billing system granted (major currency unit).\n- A new account starts `active`; an account over its limit is `on_hold`.\n\nCompensation: `billing.account.archive@1`.",
    inputSchema: obj(
      {
        customer,
        currency,
        billingAddress: address,
        paymentTermsDays: { type: "integer", minimum: 0, maximum: 120, default: 30 },
        metadata,
      },
      ["customer", "currency"],
    ),
    outputSchema: obj(
      {
        accountId,
        creditLimit: { type: "number", minimum: 0 },
        status: accountStatus,
        created: { type: "boolean" },
      },
      ["accountId", "creditLimit", "status"],
    ),
    sideEffect: "write",
    sla: writeSla,
    compensation: "billing.account.archive@1",
    baselineTrust: 0.97,
    example: {
      customer: { id: "CUS-88", name: "Ada Lovelace", email: "ada@example.com" },
      currency: "EUR",
    },
  },
  {
    ...billing,
    id: "billing.account.archive",
    version: "1.0.2",
    title: "Archive billing account",
    docs: "Archives a billing account: no new invoices or charges. Refuses when the account has an open balance unless `force` is set. Used as the compensation of `billing.account.upsert`.",
    inputSchema: obj(
      {
        accountId,
        reason: str(undefined, { maxLength: 500 }),
        force: { type: "boolean", default: false },
      },
      ["accountId"],
    ),
    outputSchema: obj({ accountId, status: { const: "archived" }, archivedAt: timestamp }, [
      "accountId",
      "status",
      "archivedAt",
    ]),
    sideEffect: "write",
    sla: writeSla,
    baselineTrust: 0.98,
    example: { accountId: "ACC-5521", reason: "saga rollback" },
  },
  {
    ...billing,
    id: "billing.invoice.create",
    version: "1.4.0",
    title: "Create invoice (v1)",
    docs: "Creates a one-line invoice from an amount in cents.\n\nNo longer supported: use `billing.invoice.create@4`.",
    inputSchema: obj({ accountId, amountCents: { type: "integer", minimum: 1 }, currency }, [
      "accountId",
      "amountCents",
      "currency",
    ]),
    outputSchema: obj({ invoiceId, status: invoiceStatus }, ["invoiceId", "status"]),
    sideEffect: "write",
    sla: writeSla,
    compensation: "billing.invoice.void@1",
    baselineTrust: 0.95,
    example: { accountId: "ACC-5521", amountCents: 120000, currency: "EUR" },
    deprecated: {
      message:
        "replace `amountCents` with `lines: [{description, quantity, unitPrice}]` (major units) and set `taxMode`",
      replacement: "billing.invoice.create@4",
    },
  },
  {
    ...billing,
    id: "billing.invoice.create",
    version: "2.3.0",
    title: "Create invoice (v2)",
    docs: "Creates a one-line invoice from an amount in major units.\n\nDeprecated: use `billing.invoice.create@4`.",
    inputSchema: obj(
      { accountId, amount, currency, description: str(undefined, { maxLength: 500 }) },
      ["accountId", "amount", "currency"],
    ),
    outputSchema: obj({ invoiceId, total: amount, status: invoiceStatus }, [
      "invoiceId",
      "total",
      "status",
    ]),
    sideEffect: "write",
    sla: writeSla,
    compensation: "billing.invoice.void@1",
    baselineTrust: 0.96,
    example: { accountId: "ACC-5521", amount: 1200, currency: "EUR", description: "Onboarding" },
    deprecated: {
      message:
        "move `amount` and `description` into `lines: [{description, quantity: 1, unitPrice: amount}]` and set `taxMode`",
      replacement: "billing.invoice.create@4",
    },
  },
  {
    ...billing,
    id: "billing.invoice.create",
    version: "3.1.0",
    title: "Create invoice (v3)",
    docs: "Creates an invoice with several lines; tax is always added on top.\n\nDeprecated: use `billing.invoice.create@4`.",
    inputSchema: obj(
      {
        accountId,
        currency,
        lines: arr(invoiceLine, { minItems: 1, maxItems: 200 }),
        dueDays: { type: "integer", minimum: 0, maximum: 120 },
      },
      ["accountId", "currency", "lines"],
    ),
    outputSchema: invoiceCreated,
    sideEffect: "write",
    sla: writeSla,
    compensation: "billing.invoice.void@1",
    baselineTrust: 0.97,
    example: {
      accountId: "ACC-5521",
      currency: "EUR",
      lines: [{ description: "Platform fee", quantity: 1, unitPrice: 1200 }],
    },
    deprecated: {
      message: "add `taxMode: exclusive` to keep v3's behaviour (tax added on top of unit prices)",
      replacement: "billing.invoice.create@4",
    },
  },
  {
    ...billing,
    id: "billing.invoice.create",
    version: "4.0.1",
    title: "Create invoice",
    docs: "Creates an invoice with one or more lines.\n\n- `taxMode`: `exclusive` adds tax on top of unit prices, `inclusive` treats them as gross, `reverse_charge` adds none (B2B in the EU).\n- `idempotencyKey` makes retries safe: the same key returns the first invoice.\n- The invoice is created `open` unless `draft: true`.\n\nCompensation: `billing.invoice.void@1`.",
    inputSchema: obj(
      {
        accountId,
        currency,
        lines: arr(invoiceLine, { minItems: 1, maxItems: 200 }),
        taxMode: oneOfValues(["exclusive", "inclusive", "reverse_charge"]),
        dueDays: { type: "integer", minimum: 0, maximum: 120, default: 30 },
        draft: { type: "boolean", default: false },
        idempotencyKey,
        metadata,
      },
      ["accountId", "currency", "lines", "taxMode"],
    ),
    outputSchema: invoiceCreated,
    sideEffect: "write",
    sla: writeSla,
    compensation: "billing.invoice.void@1",
    baselineTrust: 0.97,
    example: {
      accountId: "ACC-5521",
      currency: "EUR",
      lines: [{ description: "Platform fee", quantity: 1, unitPrice: 1200, taxRate: 0.2 }],
      taxMode: "exclusive",
    },
  },
  {
    ...billing,
    id: "billing.invoice.get",
    version: "1.0.0",
    title: "Get invoice",
    docs: "Reads an invoice with its status, total and amount still due.",
    inputSchema: obj({ invoiceId }, ["invoiceId"]),
    outputSchema: obj(
      {
        invoiceId,
        accountId,
        number: str(),
        total: amount,
        amountDue: amount,
        currency,
        status: invoiceStatus,
        dueDate: str(undefined, { format: "date" }),
        lines: arr(invoiceLine),
      },
      ["invoiceId", "accountId", "number", "total", "amountDue", "currency", "status"],
    ),
    sideEffect: "read",
    baselineTrust: 0.99,
    example: { invoiceId: "INV-2024" },
  },
  {
    ...billing,
    id: "billing.invoice.void",
    version: "1.1.0",
    title: "Void invoice",
    docs: "Voids an open or draft invoice. A paid invoice cannot be voided (refund it instead). Used as the compensation of `billing.invoice.create`.",
    inputSchema: obj({ invoiceId, reason: str(undefined, { maxLength: 500 }) }, ["invoiceId"]),
    outputSchema: obj({ invoiceId, status: { const: "void" }, voidedAt: timestamp }, [
      "invoiceId",
      "status",
      "voidedAt",
    ]),
    sideEffect: "write",
    sla: writeSla,
    baselineTrust: 0.98,
    example: { invoiceId: "INV-2024", reason: "saga rollback" },
  },
  {
    ...billing,
    id: "billing.invoice.send",
    version: "1.0.0",
    title: "Send invoice",
    docs: "Sends an open invoice to the account's billing email (or `to`). Not compensable: a sent email cannot be recalled.",
    inputSchema: obj({ invoiceId, channel: oneOfValues(["email", "portal"]), to: email }, [
      "invoiceId",
    ]),
    outputSchema: obj({ invoiceId, sentAt: timestamp, channel: oneOfValues(["email", "portal"]) }, [
      "invoiceId",
      "sentAt",
      "channel",
    ]),
    sideEffect: "write",
    baselineTrust: 0.97,
    example: { invoiceId: "INV-2024", channel: "email" },
  },
  {
    ...billing,
    id: "billing.charge.create",
    version: "1.2.0",
    title: "Charge payment method",
    docs: "Charges the account's default payment method (or `paymentMethodId`).\n\n- Always pass an `idempotencyKey`: a retried charge must not bill twice.\n- `status: pending` means the payment network has not confirmed yet.\n\nCompensation: `billing.refund.create@1`.",
    inputSchema: obj(
      {
        accountId,
        amount: { type: "number", exclusiveMinimum: 0 },
        currency,
        paymentMethodId: str(undefined, { pattern: "^PM-[0-9A-Za-z]+$" }),
        description: str(undefined, { maxLength: 500 }),
        idempotencyKey,
      },
      ["accountId", "amount", "currency", "idempotencyKey"],
    ),
    outputSchema: obj(
      { chargeId, status: oneOfValues(["succeeded", "pending", "failed"]), amount, currency },
      ["chargeId", "status", "amount", "currency"],
    ),
    sideEffect: "write",
    sla: { tier: "T1", timeoutMs: 30000 },
    compensation: "billing.refund.create@1",
    baselineTrust: 0.96,
    example: {
      accountId: "ACC-5521",
      amount: 1440,
      currency: "EUR",
      idempotencyKey: "q2c-ACC-5521-001",
    },
  },
  {
    ...billing,
    id: "billing.refund.create",
    version: "1.1.0",
    title: "Refund charge",
    docs: "Refunds all or part of a charge. `amount` defaults to the full charge.\n\nGovernance: `refund-needs-approval@1` requires a `human.approval` step upstream when `amount` exceeds the threshold or is computed.",
    inputSchema: obj(
      {
        chargeId,
        amount: { type: "number", exclusiveMinimum: 0 },
        currency,
        reason: oneOfValues(["duplicate", "fraudulent", "requested_by_customer", "saga_rollback"]),
        idempotencyKey,
      },
      ["chargeId", "reason"],
    ),
    outputSchema: obj(
      {
        refundId: str(undefined, { pattern: "^RF-[0-9A-Za-z]+$" }),
        status: oneOfValues(["succeeded", "pending", "failed"]),
        amount,
        currency,
      },
      ["refundId", "status", "amount", "currency"],
    ),
    sideEffect: "write",
    sla: writeSla,
    baselineTrust: 0.96,
    example: { chargeId: "CH-9f2a", amount: 200, currency: "EUR", reason: "requested_by_customer" },
  },
];
