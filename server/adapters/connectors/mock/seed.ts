/**
 * Deterministic datasets for the mock systems: a few hundred companies, contacts, deals, billing
 * accounts, invoices, charges, contracts and signature envelopes with plausible names,
 * currencies and amounts, generated from a seeded PRNG (no external data). The three systems
 * share one "world": billing customer `CUS-7` is CRM company `COM-7`, contracts link CRM deals.
 * The ids used by the registry's examples (CON-1042, COM-77, DEAL-311, ACC-5521, INV-2024,
 * CTR-1001, ENV-7a1, CH-9f2a, CUS-88) exist.
 */
import { Prng } from "./prng";
import type {
  Account,
  BillingState,
  Charge,
  ClmState,
  Company,
  Contact,
  Contract,
  CrmState,
  Deal,
  Envelope,
  Invoice,
  InvoiceLine,
} from "./state";

export const DEFAULT_SEED = 20261122;

export const SIZES = {
  companies: 200,
  contacts: 600,
  deals: 300,
  invoices: 600,
  charges: 300,
  contracts: 200,
} as const;

/** First ids of each series (so example ids fall inside the seeded ranges). */
export const FIRST_ID = {
  contact: 1000,
  deal: 100,
  account: 5500,
  invoice: 2000,
  contract: 1000,
} as const;

const FIRST_NAMES = [
  "Ada",
  "Grace",
  "Alan",
  "Katherine",
  "Linus",
  "Margaret",
  "Tim",
  "Barbara",
  "Dennis",
  "Frances",
  "Ken",
  "Radia",
  "Donald",
  "Hedy",
  "John",
  "Sophie",
  "Niklaus",
  "Anita",
  "Edsger",
  "Joan",
  "Yuki",
  "Amara",
  "Mateo",
  "Priya",
  "Lars",
  "Chloé",
  "Omar",
  "Ingrid",
  "Kwame",
  "Elena",
  "Hiroshi",
  "Fatima",
  "Lucas",
  "Mei",
  "Santiago",
  "Aisha",
  "Jonas",
  "Zofia",
  "Ravi",
  "Camille",
];
const LAST_NAMES = [
  "Lovelace",
  "Hopper",
  "Turing",
  "Johnson",
  "Torvalds",
  "Hamilton",
  "Berners-Lee",
  "Liskov",
  "Ritchie",
  "Allen",
  "Thompson",
  "Perlman",
  "Knuth",
  "Lamarr",
  "McCarthy",
  "Wilson",
  "Wirth",
  "Borg",
  "Dijkstra",
  "Clarke",
  "Tanaka",
  "Okafor",
  "García",
  "Sharma",
  "Nilsson",
  "Dubois",
  "Haddad",
  "Larsen",
  "Mensah",
  "Rossi",
  "Sato",
  "Khan",
  "Silva",
  "Chen",
  "Moreno",
  "Bello",
  "Schmidt",
  "Nowak",
  "Iyer",
  "Martin",
];
const NAME_LEFT = [
  "North",
  "Blue",
  "Silver",
  "Bright",
  "Iron",
  "Green",
  "Cedar",
  "Harbor",
  "Summit",
  "Pioneer",
  "Atlas",
  "Nova",
  "Crescent",
  "Maple",
  "Orbit",
  "Granite",
  "Lumen",
  "Vertex",
  "Aurora",
  "Delta",
];
const NAME_RIGHT = [
  "wind",
  "field",
  "stone",
  "bridge",
  "works",
  "point",
  "gate",
  "line",
  "wave",
  "forge",
  "path",
  "light",
  "crest",
  "ridge",
  "core",
  "leaf",
  "port",
  "grid",
  "spring",
  "vale",
];
const NAME_KIND = [
  "Analytics",
  "Logistics",
  "Health",
  "Energy",
  "Robotics",
  "Foods",
  "Capital",
  "Software",
  "Labs",
  "Systems",
  "Media",
  "Mobility",
  "Materials",
  "Retail",
  "Insurance",
];
const SUFFIX: readonly (readonly [string, string, string])[] = [
  // suffix, country, top-level domain
  ["GmbH", "DE", "de"],
  ["Ltd", "GB", "co.uk"],
  ["Inc.", "US", "com"],
  ["SAS", "FR", "fr"],
  ["B.V.", "NL", "nl"],
  ["AB", "SE", "se"],
  ["AG", "CH", "ch"],
  ["S.p.A.", "IT", "it"],
  ["LLC", "US", "io"],
  ["Pty Ltd", "AU", "com.au"],
  ["K.K.", "JP", "jp"],
  ["S.L.", "ES", "es"],
];
const CURRENCY_OF: Record<string, string> = {
  DE: "EUR",
  GB: "GBP",
  US: "USD",
  FR: "EUR",
  NL: "EUR",
  SE: "SEK",
  CH: "CHF",
  IT: "EUR",
  AU: "AUD",
  JP: "JPY",
  ES: "EUR",
};
const CITY_OF: Record<string, string[]> = {
  DE: ["Berlin", "Munich", "Hamburg"],
  GB: ["London", "Manchester", "Leeds"],
  US: ["New York", "Austin", "Seattle"],
  FR: ["Paris", "Lyon", "Nantes"],
  NL: ["Amsterdam", "Utrecht"],
  SE: ["Stockholm", "Gothenburg"],
  CH: ["Zurich", "Geneva"],
  IT: ["Milan", "Turin"],
  AU: ["Sydney", "Melbourne"],
  JP: ["Tokyo", "Osaka"],
  ES: ["Madrid", "Barcelona"],
};
const INDUSTRIES = [
  "Software",
  "Manufacturing",
  "Healthcare",
  "Financial services",
  "Retail",
  "Logistics",
  "Energy",
  "Education",
  "Media",
  "Telecommunications",
  "Biotech",
  "Automotive",
];
const LINE_ITEMS = [
  "Platform fee",
  "Seats (annual)",
  "Premium support",
  "Onboarding package",
  "Usage overage",
  "Professional services",
  "API calls (per million)",
  "Data retention add-on",
];
const TEMPLATES = ["msa-2024", "order-form-2024", "dpa-2023", "renewal-2024", "sow-2024"];
const TAX_RATE: Record<string, number> = {
  DE: 0.19,
  GB: 0.2,
  US: 0,
  FR: 0.2,
  NL: 0.21,
  SE: 0.25,
  CH: 0.081,
  IT: 0.22,
  AU: 0.1,
  JP: 0.1,
  ES: 0.21,
};

/** Epoch of the seeded data: every seeded timestamp is before this day. */
const ANCHOR = Date.UTC(2025, 10, 1);
const DAY = 86_400_000;

const iso = (ms: number) => new Date(ms).toISOString();
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
export const round2 = (n: number) => Math.round(n * 100) / 100;

function slug(text: string) {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "");
}

function plusMonths(date: string, months: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.toISOString().slice(0, 10);
}
export { plusMonths };

/** The seeded "world" every tenant's systems start from (immutable; cloned per tenant). */
export interface World {
  crm: CrmState;
  billing: BillingState;
  clm: ClmState;
}

/** Totals of invoice lines under a tax mode, rounded to cents. */
export function invoiceTotal(lines: InvoiceLine[], taxMode: Invoice["taxMode"]): number {
  let total = 0;
  for (const l of lines) {
    const net = l.quantity * l.unitPrice;
    total += taxMode === "exclusive" ? net * (1 + (l.taxRate ?? 0)) : net;
  }
  return round2(total);
}

export function generateWorld(seed: number = DEFAULT_SEED): World {
  const r = new Prng(seed);
  // ---- CRM: companies, contacts, deals
  const companies = new Map<string, Company>();
  const usedDomains = new Set<string>();
  for (let i = 1; i <= SIZES.companies; i++) {
    const [suffix, country, tld] = r.pick(SUFFIX);
    let base = `${r.pick(NAME_LEFT)}${r.pick(NAME_RIGHT)}`;
    const kind = r.pick(NAME_KIND);
    let domain = `${slug(base)}.${tld}`;
    if (usedDomains.has(domain)) {
      domain = `${slug(base)}-${slug(kind)}.${tld}`;
      base = `${base}`;
    }
    if (usedDomains.has(domain)) domain = `${slug(base)}${i}.${tld}`;
    usedDomains.add(domain);
    companies.set(`COM-${i}`, {
      id: `COM-${i}`,
      name: `${base} ${kind} ${suffix}`,
      domain,
      industry: r.pick(INDUSTRIES),
      employees: r.weighted([
        [r.int(5, 50), 4],
        [r.int(51, 500), 4],
        [r.int(501, 20000), 2],
      ] as const),
      country,
      updatedAt: iso(ANCHOR - r.int(1, 700) * DAY),
    });
  }
  const companyList = [...companies.values()];
  const contacts = new Map<string, Contact>();
  const usedEmails = new Set<string>();
  for (let i = 0; i < SIZES.contacts; i++) {
    const id = `CON-${FIRST_ID.contact + i}`;
    const company = r.chance(0.9) ? r.pick(companyList) : undefined;
    const firstName = r.pick(FIRST_NAMES);
    const lastName = r.pick(LAST_NAMES);
    const domain = company?.domain ?? r.pick(["example.com", "mail.example", "inbox.example"]);
    let email = `${slug(firstName)}.${slug(lastName)}@${domain}`;
    if (usedEmails.has(email)) email = `${slug(firstName)}.${slug(lastName)}${i}@${domain}`;
    usedEmails.add(email);
    contacts.set(id, {
      id,
      email,
      firstName,
      lastName,
      ...(r.chance(0.8)
        ? { phone: `+${r.pick(["44", "49", "33", "1", "31", "46"])}${r.int(100000000, 999999999)}` }
        : {}),
      ...(company ? { companyId: company.id } : {}),
      lifecycle: r.weighted([
        ["lead", 3],
        ["prospect", 3],
        ["customer", 4],
        ["churned", 1],
      ] as const),
      properties: { source: r.pick(["webinar", "referral", "inbound", "event", "outbound"]) },
      updatedAt: iso(ANCHOR - r.int(1, 500) * DAY - r.int(0, DAY - 1)),
    });
  }
  const deals = new Map<string, Deal>();
  for (let i = 0; i < SIZES.deals; i++) {
    const id = `DEAL-${FIRST_ID.deal + i}`;
    const company = r.pick(companyList);
    const stage = r.weighted([
      ["qualification", 2],
      ["proposal", 2],
      ["negotiation", 2],
      ["closed_won", 3],
      ["closed_lost", 1],
    ] as const);
    const year = 2024 + r.int(0, 1);
    const closed = stage === "closed_won" || stage === "closed_lost";
    deals.set(id, {
      id,
      name: `${company.name.split(" ")[0]} ${r.pick(["platform", "expansion", "renewal", "pilot", "enterprise"])} ${year}`,
      stage,
      amount: r.int(20, 2400) * 100,
      currency: CURRENCY_OF[company.country] ?? "EUR",
      companyId: company.id,
      ownerId: `USR-${r.int(1, 12)}`,
      ...(closed || r.chance(0.6) ? { closeDate: isoDate(ANCHOR - r.int(-90, 300) * DAY) } : {}),
      activity: [],
      updatedAt: iso(ANCHOR - r.int(1, 300) * DAY),
    });
  }

  // ---- Billing: one account per company, invoices, charges
  const accounts = new Map<string, Account>();
  for (const [n, c] of companyList.entries()) {
    const accountId = `ACC-${FIRST_ID.account + n}`;
    const domain = c.domain;
    accounts.set(accountId, {
      accountId,
      customerId: `CUS-${c.id.slice(4)}`,
      name: c.name,
      email: `billing@${domain}`,
      currency: CURRENCY_OF[c.country] ?? "EUR",
      creditLimit: r.int(10, 200) * 500,
      balance: 0,
      status: r.weighted([
        ["active", 18],
        ["on_hold", 1],
        ["archived", 1],
      ] as const),
      paymentTermsDays: r.pick([14, 30, 30, 45, 60]),
      billingAddress: {
        line1: `${r.int(1, 220)} ${r.pick(["Market", "Station", "Harbour", "King", "Park", "Mill"])} ${r.pick(["Street", "Road", "Avenue"])}`,
        city: r.pick(CITY_OF[c.country] ?? ["Berlin"]),
        postalCode: String(r.int(10000, 99999)),
        country: c.country,
      },
      metadata: {},
      createdAt: iso(ANCHOR - r.int(100, 900) * DAY),
    });
  }
  // The registry's example account must accept invoices and charges.
  const example = accounts.get("ACC-5521");
  if (example) example.status = "active";
  const accountList = [...accounts.values()];
  const invoices = new Map<string, Invoice>();
  for (let i = 0; i < SIZES.invoices; i++) {
    const invoiceId = `INV-${FIRST_ID.invoice + i}`;
    const account = r.pick(accountList);
    const country = account.billingAddress?.country ?? "DE";
    const lines: InvoiceLine[] = Array.from({ length: r.int(1, 4) }, () => ({
      description: r.pick(LINE_ITEMS),
      quantity: r.pick([1, 1, 1, 5, 10, 25, 100]),
      unitPrice: r.int(2, 600) * 10,
      taxRate: TAX_RATE[country] ?? 0.2,
    }));
    const created = ANCHOR - r.int(1, 420) * DAY;
    const total = invoiceTotal(lines, "exclusive");
    const status = r.weighted([
      ["paid", 11],
      ["open", 5],
      ["draft", 1],
      ["void", 1],
      ["uncollectible", 1],
    ] as const);
    const amountDue =
      status === "open" || status === "draft" || status === "uncollectible" ? total : 0;
    if (status === "open") account.balance = round2(account.balance + total);
    invoices.set(invoiceId, {
      invoiceId,
      accountId: account.accountId,
      number: `${new Date(created).getUTCFullYear()}-${String(i + 1).padStart(6, "0")}`,
      currency: account.currency,
      lines,
      taxMode: "exclusive",
      total,
      amountDue,
      status,
      dueDate: isoDate(created + account.paymentTermsDays * DAY),
      metadata: {},
      createdAt: iso(created),
      ...(status === "void" ? { voidedAt: iso(created + 2 * DAY) } : {}),
    });
  }
  // An open example invoice (INV-2024) that `billing.invoice.void` and `.send` can act on.
  const exampleInvoice = invoices.get("INV-2024");
  if (exampleInvoice && exampleInvoice.status !== "open") {
    const acc = accounts.get(exampleInvoice.accountId)!;
    exampleInvoice.status = "open";
    exampleInvoice.amountDue = exampleInvoice.total;
    delete exampleInvoice.voidedAt;
    acc.balance = round2(acc.balance + exampleInvoice.total);
  }
  const charges = new Map<string, Charge>();
  for (let i = 0; i < SIZES.charges; i++) {
    const chargeId = i === 0 ? "CH-9f2a" : `CH-${r.hex(4)}${i.toString(16)}`;
    const account = r.pick(accountList);
    const amount = r.int(5, 5000) * 10;
    charges.set(chargeId, {
      chargeId,
      accountId: account.accountId,
      amount,
      currency: account.currency,
      refunded: 0,
      status: r.weighted([
        ["succeeded", 18],
        ["pending", 1],
        ["failed", 1],
      ] as const),
      paymentMethodId: `PM-${r.hex(6)}`,
      description: r.pick(LINE_ITEMS),
      createdAt: iso(ANCHOR - r.int(1, 365) * DAY),
    });
  }
  const exampleCharge = charges.get("CH-9f2a");
  if (exampleCharge) exampleCharge.status = "succeeded";

  // ---- CLM: contracts for deals, envelopes for contracts out for signature
  const contracts = new Map<string, Contract>();
  const dealList = [...deals.values()];
  for (let i = 0; i < SIZES.contracts; i++) {
    const id = `CTR-${FIRST_ID.contract + i}`;
    const deal = r.pick(dealList);
    const company = companies.get(deal.companyId!)!;
    const contact = [...contacts.values()].find((c) => c.companyId === company.id);
    const termMonths = r.pick([12, 12, 24, 36]);
    const start = ANCHOR - r.int(0, 900) * DAY;
    const startDate = isoDate(start);
    const endDate = plusMonths(startDate, termMonths);
    const expired = Date.parse(endDate) < ANCHOR;
    const status: Contract["status"] = expired
      ? r.weighted([
          ["expired", 3],
          ["terminated", 1],
        ] as const)
      : r.weighted([
          ["active", 6],
          ["signed", 1],
          ["draft", 2],
          ["out_for_signature", 2],
          ["terminated", 1],
        ] as const);
    const signed = status !== "draft" && status !== "out_for_signature";
    contracts.set(id, {
      id,
      template: r.pick(TEMPLATES),
      customer: {
        id: `CUS-${company.id.slice(4)}`,
        name: contact ? `${contact.firstName} ${contact.lastName}` : company.name,
        email: contact?.email ?? `legal@${company.domain}`,
      },
      currency: deal.currency,
      amount: deal.amount,
      dealId: deal.id,
      status,
      signedAt: signed ? iso(start - r.int(1, 20) * DAY) : null,
      startDate,
      endDate,
      termMonths,
      ...(status === "terminated"
        ? { terminatedAt: iso(start + r.int(30, 200) * DAY), terminationReason: "customer_request" }
        : {}),
    });
  }
  // The example contract CTR-1001 is active, so renewals and terminations work on it.
  const exampleContract = contracts.get("CTR-1001");
  if (exampleContract) {
    exampleContract.status = "active";
    exampleContract.signedAt ??= iso(Date.parse(`${exampleContract.startDate}T00:00:00Z`) - DAY);
    delete exampleContract.terminatedAt;
    delete exampleContract.terminationReason;
  }
  const envelopes = new Map<string, Envelope>();
  let e = 0;
  for (const c of contracts.values()) {
    if (c.status !== "out_for_signature" && !(c.signedAt && r.chance(0.3))) continue;
    const envelopeId = e === 0 ? "ENV-7a1" : `ENV-${r.hex(3)}${e.toString(16)}`;
    e++;
    const sent = c.signedAt
      ? Date.parse(c.signedAt) - r.int(1, 10) * DAY
      : ANCHOR - r.int(1, 10) * DAY;
    const done = c.status !== "out_for_signature";
    envelopes.set(envelopeId, {
      envelopeId,
      contractId: c.id,
      status: done ? "completed" : r.pick(["sent", "delivered"] as const),
      sentAt: iso(sent),
      expiresAt: iso(sent + 14 * DAY),
      signers: [
        {
          name: c.customer.name,
          email: c.customer.email,
          role: "customer",
          status: done ? "signed" : "pending",
          ...(done && c.signedAt ? { signedAt: c.signedAt } : {}),
        },
      ],
    });
  }
  return {
    crm: {
      companies,
      contacts,
      deals,
      next: {
        company: SIZES.companies + 1,
        contact: FIRST_ID.contact + SIZES.contacts,
        deal: FIRST_ID.deal + SIZES.deals,
      },
    },
    billing: {
      accounts,
      invoices,
      charges,
      refunds: new Map(),
      next: {
        account: FIRST_ID.account + SIZES.companies,
        invoice: FIRST_ID.invoice + SIZES.invoices,
        charge: 1,
        refund: 1,
      },
    },
    clm: {
      contracts,
      envelopes,
      next: { contract: FIRST_ID.contract + SIZES.contracts, envelope: e },
    },
  };
}

/** Generated worlds by seed, the most recently used last (sandbox sessions pick their seed). */
const cachedWorlds = new Map<number, World>();
const MAX_CACHED_WORLDS = 4;

/** A fresh, mutable copy of the seeded world's part for one system. */
export function seedState<S extends keyof World>(system: S, seed: number = DEFAULT_SEED): World[S] {
  let world = cachedWorlds.get(seed);
  if (world) cachedWorlds.delete(seed);
  else {
    world = generateWorld(seed);
    if (cachedWorlds.size >= MAX_CACHED_WORLDS)
      cachedWorlds.delete(cachedWorlds.keys().next().value!);
  }
  cachedWorlds.set(seed, world);
  return structuredClone(world[system]);
}
