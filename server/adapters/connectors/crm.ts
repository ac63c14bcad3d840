/**
 * The CRM connector: contacts, companies and deals. REST shapes: `REST.md`, "CRM".
 * Writes with a compensation: `crm.contact.create` -> `crm.contact.delete`,
 * `crm.deal.create` -> `crm.deal.delete`.
 */
import { defineConnector, pickQuery, withPathParams } from "./framework/connector";

export const crmConnector = defineConnector({
  system: "crm",
  title: "CRM",
  operations: [
    { block: "crm.contact.get@1", method: "GET", path: "/contacts/{id}" },
    {
      block: "crm.contact.search@1",
      method: "GET",
      path: "/contacts",
      query: (i) => pickQuery(i, "email", "name", "companyId", "limit"),
    },
    { block: "crm.contact.create@1", method: "POST", path: "/contacts" },
    withPathParams("crm.contact.update@1", "PATCH", "/contacts/{id}"),
    { block: "crm.contact.delete@1", method: "DELETE", path: "/contacts/{id}" },
    { block: "crm.company.get@1", method: "GET", path: "/companies/{id}" },
    withPathParams("crm.company.upsert@1", "PUT", "/companies/by-domain/{domain}"),
    { block: "crm.deal.get@1", method: "GET", path: "/deals/{id}" },
    { block: "crm.deal.create@1", method: "POST", path: "/deals" },
    withPathParams("crm.deal.update@1", "PATCH", "/deals/{id}"),
    { block: "crm.deal.delete@1", method: "DELETE", path: "/deals/{id}" },
  ],
});
