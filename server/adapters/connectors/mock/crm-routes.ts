/** The mock CRM: contacts, companies, deals (REST.md, "CRM"). */
import {
  emailOf,
  found,
  invalid,
  notFound,
  oneOf,
  optNumber,
  optString,
  reqNumber,
  reqString,
  currencyOf,
  stringMap,
  today,
  type Route,
} from "./http";
import type { Contact, CrmState, Deal } from "./state";

const LIFECYCLE = ["lead", "prospect", "customer", "churned"] as const;
const STAGES = ["qualification", "proposal", "negotiation", "closed_won", "closed_lost"] as const;

function contactOut(c: Contact) {
  const { deletedAt: _d, ...rest } = c;
  return rest;
}
function dealOut(d: Deal) {
  const { deletedAt: _d, ...rest } = d;
  return rest;
}
/** Like {@link found}, but a soft-deleted entry is not found either. */
function live<T extends { deletedAt?: string }>(
  map: ReadonlyMap<string, T>,
  what: string,
  id: string,
): T {
  const v = found(map, what, id);
  if (v.deletedAt) throw notFound(what, id);
  return v;
}
const liveContact = (s: CrmState, id: string) => live(s.contacts, "contact", id);
const liveDeal = (s: CrmState, id: string) => live(s.deals, "deal", id);
function checkCompany(s: CrmState, id: string | undefined) {
  if (id !== undefined && !s.companies.has(id)) throw invalid(`companyId ${id} does not exist`);
}
function checkPhone(phone: string | undefined) {
  if (phone !== undefined && !/^\+[1-9][0-9]{6,14}$/.test(phone))
    throw invalid("phone must be E.164, e.g. +4930123456");
}

export const crmRoutes: Route<CrmState>[] = [
  {
    operation: "contact.get",
    method: "GET",
    pattern: "/contacts/:id",
    handler: ({ state, params }) => ({ body: contactOut(liveContact(state, params.id!)) }),
  },
  {
    operation: "contact.search",
    method: "GET",
    pattern: "/contacts",
    handler: ({ state, query }) => {
      const email = query.get("email")?.toLowerCase();
      const name = query.get("name")?.toLowerCase();
      const companyId = query.get("companyId");
      if (!email && !name && !companyId)
        throw invalid("give at least one of email, name, companyId");
      const limit = Math.min(Math.max(Number(query.get("limit") ?? 25) || 25, 1), 200);
      const matches = [...state.contacts.values()]
        .filter(
          (c) =>
            !c.deletedAt &&
            (!email || c.email.toLowerCase() === email) &&
            (!companyId || c.companyId === companyId) &&
            (!name ||
              c.firstName.toLowerCase().includes(name) ||
              c.lastName.toLowerCase().includes(name)),
        )
        .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.id.localeCompare(b.id));
      return { body: { contacts: matches.slice(0, limit).map(contactOut), total: matches.length } };
    },
  },
  {
    operation: "contact.create",
    method: "POST",
    pattern: "/contacts",
    handler: ({ state, body, now }) => {
      const email = emailOf(body);
      const existing = [...state.contacts.values()].find(
        (c) => !c.deletedAt && c.email.toLowerCase() === email.toLowerCase(),
      );
      if (existing) return { status: 200, body: { ...contactOut(existing), created: false } };
      const phone = optString(body, "phone");
      checkPhone(phone);
      const companyId = optString(body, "companyId");
      checkCompany(state, companyId);
      const id = `CON-${state.next.contact++}`;
      const contact: Contact = {
        id,
        email,
        firstName: optString(body, "firstName") ?? "",
        lastName: optString(body, "lastName") ?? "",
        ...(phone ? { phone } : {}),
        ...(companyId ? { companyId } : {}),
        lifecycle: oneOf(body, "lifecycle", ["lead", "prospect", "customer"]) ?? "lead",
        properties: stringMap(body, "properties") ?? {},
        updatedAt: now.toISOString(),
      };
      state.contacts.set(id, contact);
      return { status: 201, body: { ...contactOut(contact), created: true } };
    },
  },
  {
    operation: "contact.update",
    method: "PATCH",
    pattern: "/contacts/:id",
    handler: ({ state, params, body, now }) => {
      const c = liveContact(state, params.id!);
      if (Object.keys(body).length === 0) throw invalid("give at least one field to update");
      const phone = optString(body, "phone");
      checkPhone(phone);
      if (body.email !== undefined) c.email = emailOf(body);
      c.firstName = optString(body, "firstName") ?? c.firstName;
      c.lastName = optString(body, "lastName") ?? c.lastName;
      if (phone) c.phone = phone;
      c.lifecycle = oneOf(body, "lifecycle", LIFECYCLE) ?? c.lifecycle;
      c.properties = { ...c.properties, ...stringMap(body, "properties") };
      c.updatedAt = now.toISOString();
      return { body: contactOut(c) };
    },
  },
  {
    operation: "contact.delete",
    method: "DELETE",
    pattern: "/contacts/:id",
    handler: ({ state, params, now }) => {
      const c = found(state.contacts, "contact", params.id!);
      // Deleting twice answers the same: a compensation may be retried.
      c.deletedAt ??= now.toISOString();
      return { body: { id: c.id, deleted: true, deletedAt: c.deletedAt } };
    },
  },
  {
    operation: "company.get",
    method: "GET",
    pattern: "/companies/:id",
    handler: ({ state, params }) => ({ body: found(state.companies, "company", params.id!) }),
  },
  {
    operation: "company.upsert",
    method: "PUT",
    pattern: "/companies/by-domain/:domain",
    handler: ({ state, params, body, now }) => {
      const domain = params.domain!.toLowerCase();
      if (!/^[a-z0-9.-]+\.[a-z]{2,}$/.test(domain))
        throw invalid("domain must look like example.com");
      const name = reqString(body, "name");
      const industry = optString(body, "industry");
      const employees = optNumber(body, "employees");
      const existing = [...state.companies.values()].find((c) => c.domain === domain);
      if (existing) {
        existing.name = name;
        if (industry !== undefined) existing.industry = industry;
        if (employees !== undefined) existing.employees = Math.round(employees);
        existing.updatedAt = now.toISOString();
        return { status: 200, body: { ...existing, created: false } };
      }
      const id = `COM-${state.next.company++}`;
      const company = {
        id,
        name,
        domain,
        industry: industry ?? "Unknown",
        employees: Math.round(employees ?? 0),
        country: "US",
        updatedAt: now.toISOString(),
      };
      state.companies.set(id, company);
      return { status: 201, body: { ...company, created: true } };
    },
  },
  {
    operation: "deal.get",
    method: "GET",
    pattern: "/deals/:id",
    handler: ({ state, params }) => ({ body: dealOut(liveDeal(state, params.id!)) }),
  },
  {
    operation: "deal.create",
    method: "POST",
    pattern: "/deals",
    handler: ({ state, body, now }) => {
      const companyId = optString(body, "companyId");
      checkCompany(state, companyId);
      const id = `DEAL-${state.next.deal++}`;
      const closeDate = optString(body, "closeDate");
      const ownerId = optString(body, "ownerId");
      const deal: Deal = {
        id,
        name: reqString(body, "name"),
        stage: oneOf(body, "stage", STAGES) ?? "qualification",
        amount: reqNumber(body, "amount"),
        currency: currencyOf(body),
        ...(companyId ? { companyId } : {}),
        ...(ownerId ? { ownerId } : {}),
        ...(closeDate ? { closeDate } : {}),
        activity: [],
        updatedAt: now.toISOString(),
      };
      state.deals.set(id, deal);
      return { status: 201, body: dealOut(deal) };
    },
  },
  {
    operation: "deal.update",
    method: "PATCH",
    pattern: "/deals/:id",
    handler: ({ state, params, body, now }) => {
      const d = liveDeal(state, params.id!);
      if (Object.keys(body).length === 0) throw invalid("give at least one field to update");
      d.stage = oneOf(body, "stage", STAGES) ?? d.stage;
      d.amount = optNumber(body, "amount") ?? d.amount;
      d.closeDate = optString(body, "closeDate") ?? d.closeDate;
      if (d.stage === "closed_won" && !d.closeDate) d.closeDate = today(now);
      const note = optString(body, "note");
      if (note) d.activity.push({ at: now.toISOString(), note });
      d.updatedAt = now.toISOString();
      return { body: dealOut(d) };
    },
  },
  {
    operation: "deal.delete",
    method: "DELETE",
    pattern: "/deals/:id",
    handler: ({ state, params, now }) => {
      const d = found(state.deals, "deal", params.id!);
      d.deletedAt ??= now.toISOString();
      return { body: { id: d.id, deleted: true, deletedAt: d.deletedAt } };
    },
  },
];
