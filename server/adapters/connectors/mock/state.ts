/** Records held by the mock systems, per tenant. Shapes follow `REST.md`. */

export interface Company {
  id: string;
  name: string;
  domain: string;
  industry: string;
  employees: number;
  country: string;
  updatedAt: string;
}

export interface Contact {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  phone?: string;
  companyId?: string;
  lifecycle: "lead" | "prospect" | "customer" | "churned";
  properties: Record<string, string>;
  updatedAt: string;
  deletedAt?: string;
}

export interface Deal {
  id: string;
  name: string;
  stage: "qualification" | "proposal" | "negotiation" | "closed_won" | "closed_lost";
  amount: number;
  currency: string;
  companyId?: string;
  ownerId?: string;
  closeDate?: string;
  activity: { at: string; note: string }[];
  updatedAt: string;
  deletedAt?: string;
}

export interface CrmState {
  companies: Map<string, Company>;
  contacts: Map<string, Contact>;
  deals: Map<string, Deal>;
  next: { company: number; contact: number; deal: number };
}

export interface Address {
  line1: string;
  line2?: string;
  city: string;
  postalCode?: string;
  region?: string;
  country: string;
}

export interface Account {
  accountId: string;
  customerId: string;
  name: string;
  email: string;
  currency: string;
  creditLimit: number;
  balance: number;
  status: "active" | "on_hold" | "archived";
  paymentTermsDays: number;
  billingAddress?: Address;
  metadata: Record<string, string>;
  createdAt: string;
  archivedAt?: string;
}

export interface InvoiceLine {
  description: string;
  quantity: number;
  unitPrice: number;
  taxRate?: number;
}

export interface Invoice {
  invoiceId: string;
  accountId: string;
  number: string;
  currency: string;
  lines: InvoiceLine[];
  taxMode: "exclusive" | "inclusive" | "reverse_charge";
  total: number;
  amountDue: number;
  status: "draft" | "open" | "paid" | "void" | "uncollectible";
  dueDate: string;
  metadata: Record<string, string>;
  createdAt: string;
  voidedAt?: string;
  sentAt?: string;
}

export interface Charge {
  chargeId: string;
  accountId: string;
  amount: number;
  currency: string;
  refunded: number;
  status: "succeeded" | "pending" | "failed";
  paymentMethodId?: string;
  description?: string;
  createdAt: string;
}

export interface Refund {
  refundId: string;
  chargeId: string;
  amount: number;
  currency: string;
  reason: string;
  status: "succeeded" | "pending" | "failed";
  createdAt: string;
}

export interface BillingState {
  accounts: Map<string, Account>;
  invoices: Map<string, Invoice>;
  charges: Map<string, Charge>;
  refunds: Map<string, Refund>;
  next: { account: number; invoice: number; charge: number; refund: number };
}

export interface Customer {
  id: string;
  name: string;
  email: string;
}

export interface Contract {
  id: string;
  template: string;
  customer: Customer;
  currency: string;
  amount: number;
  dealId?: string;
  status: "draft" | "out_for_signature" | "signed" | "active" | "expired" | "terminated";
  signedAt: string | null;
  startDate: string;
  endDate: string;
  termMonths: number;
  renewalOf?: string;
  terminatedAt?: string;
  terminationReason?: string;
}

export interface Envelope {
  envelopeId: string;
  contractId: string;
  status: "sent" | "delivered" | "completed" | "declined" | "cancelled" | "expired";
  message?: string;
  sentAt: string;
  expiresAt: string;
  signers: {
    name: string;
    email: string;
    role?: string;
    status: "pending" | "signed" | "declined";
    signedAt?: string;
  }[];
}

export interface ClmState {
  contracts: Map<string, Contract>;
  envelopes: Map<string, Envelope>;
  next: { contract: number; envelope: number };
}
