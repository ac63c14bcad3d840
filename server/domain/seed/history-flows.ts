import { planted } from "./history-plan";

/**
 * The demo history's own flows (docs/demo-history.md): saved versions compiled by the real
 * compiler when the history is generated. None is a template flow, and every block a planted
 * effect touches is one no template or seeded sample uses (`history-flows.test.ts` checks it).
 */

/** A demo flow and its saved versions (oldest first), each published on a day of the history. */
export interface HistoryFlow {
  /** The DSL `flow:` name (also the workflow's name). */
  name: string;
  description: string;
  versions: Array<{ version: string; fromDay: number; text: string }>;
}

const paymentCollection = `# Demo history: charge the customer's billing account when a shop order is confirmed.
flow: payment-collection
version: 1.0.0
description: Charge the account when an order is confirmed
sla: T1

trigger:
  webhook:
    event: shop.order.confirmed

inputs:
  accountId:
    type: string
    pattern: "^ACC-[0-9]+$"
    examples: [ACC-5521]
  orderId:
    type: string
    pattern: "^ORD-[0-9]+$"
    examples: [ORD-1001]
  amount:
    type: number
    minimum: 0.01
    examples: [120]

steps:
  - id: account
    uses: billing.account.get@1
    with:
      accountId: \${{ inputs.accountId }}

  - id: totals
    uses: data.transform@1
    with:
      fields:
        amount: inputs.amount
        currency: steps.account.output.currency

  - id: charge
    uses: billing.charge.create@1
    with:
      accountId: \${{ inputs.accountId }}
      amount: \${{ steps.totals.output.amount }}
      currency: \${{ steps.account.output.currency }}
      description: Order \${{ inputs.orderId }}
      idempotencyKey: pay-\${{ inputs.orderId }}

policies:
  - t1-requires-dead-letter@1
`;

const contactHygiene = (
  withDeal: boolean,
) => `# Demo history: keep CRM contacts tidy when a form is submitted.
flow: contact-hygiene
version: ${withDeal ? "1.1.0" : "1.0.0"}
description: Find the contact behind a form and mark it as a prospect
sla: T2

trigger:
  webhook:
    event: web.form.submitted

inputs:
  email:
    type: string
    format: email
    examples: [ada@example.com]

steps:
  - id: search
    uses: crm.contact.search@1
    with:
      email: \${{ inputs.email }}
      limit: 5

  - id: found
    uses: control.switch@1
    with:
      cases:
        - label: known
          when: steps.search.output.total > 0
      default: unknown

  - id: mark
    uses: crm.contact.update@1
    needs: [found]
    if: \${{ steps.found.output.case == 'known' }}
    with:
      id: \${{ steps.search.output.contacts[0].id }}
      lifecycle: prospect
${
  withDeal
    ? `
  - id: opportunity
    uses: crm.deal.create@1
    needs: [mark]
    with:
      name: Inbound \${{ inputs.email }}
      stage: qualification
      amount: 1000
      currency: EUR
`
    : ""
}`;

const ticketTriage = `# Demo history: an agent labels each support ticket and summarises it for the team.
flow: ticket-triage
version: 1.0.0
description: Label and summarise support tickets
sla: T2

trigger:
  webhook:
    event: support.ticket.created

inputs:
  text:
    type: string
    examples: ["I was charged twice this month"]

steps:
  - id: label
    uses: agent.classify@1
    with:
      text: \${{ inputs.text }}
      labels: [billing, technical, sales]
    model:
      route: classification
      budget_usd: 0.05

  - id: digest
    uses: agent.summarize@1
    with:
      text: \${{ inputs.text }}
      maxWords: 60
    model:
      route: summarization
      budget_usd: 0.05
`;

const signatureWatch = `# Demo history: when the CLM reminds us of an open envelope, read it and its deal.
flow: signature-watch
version: 1.0.0
description: Watch open signature envelopes
sla: T1

trigger:
  webhook:
    event: clm.envelope.reminder

inputs:
  envelopeId:
    type: string
    default: ENV-7a1
  dealId:
    type: string
    default: DEAL-311

steps:
  - id: envelope
    uses: clm.signature.get@1
    with:
      envelopeId: \${{ inputs.envelopeId }}

  - id: deal
    uses: crm.deal.get@1
    with:
      id: \${{ inputs.dealId }}
`;

const accountDigest = (
  lookups: number,
) => `# Demo history: read the contacts of an account's team, side by side.
flow: account-digest
version: ${lookups > 2 ? "1.1.0" : "1.0.0"}
description: Read an account's contacts in parallel
sla: T2

trigger:
  webhook:
    event: crm.account.reviewed

inputs:
  contactId:
    type: string
    pattern: "^CON-[0-9]+$"
    examples: [CON-1042]

steps:
  - id: contacts
    uses: control.parallel@1
    with:
      branches:
${Array.from(
  { length: lookups },
  () => `        - uses: crm.contact.get@1
          with:
            id: \${{ inputs.contactId }}
`,
).join("")}`;

/** The flows, with the day (0 = 30 days ago, fractional) each version was saved. */
export const HISTORY_FLOWS: readonly HistoryFlow[] = [
  {
    name: "payment-collection",
    description: "Charge the account when an order is confirmed",
    versions: [{ version: "1.0.0", fromDay: 0, text: paymentCollection }],
  },
  {
    name: "contact-hygiene",
    description: "Find the contact behind a form and mark it as a prospect",
    versions: [
      { version: "1.0.0", fromDay: 0, text: contactHygiene(false) },
      {
        version: "1.1.0",
        fromDay: planted("new-write-endpoint").fromDay,
        text: contactHygiene(true),
      },
    ],
  },
  {
    name: "ticket-triage",
    description: "Label and summarise support tickets",
    versions: [{ version: "1.0.0", fromDay: 0, text: ticketTriage }],
  },
  {
    name: "signature-watch",
    description: "Watch open signature envelopes",
    versions: [{ version: "1.0.0", fromDay: 0, text: signatureWatch }],
  },
  {
    name: "account-digest",
    description: "Read an account's contacts in parallel",
    versions: [
      { version: "1.0.0", fromDay: 0, text: accountDigest(2) },
      { version: "1.1.0", fromDay: planted("calls-per-run").fromDay, text: accountDigest(10) },
    ],
  },
];
