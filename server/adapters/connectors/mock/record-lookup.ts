/**
 * Lists the ids of one tenant's mock records (the Run form's pickers): which collection of a
 * system holds the records a block input names is found by its id pattern (from the block
 * registry: `^ACC-[0-9]+$` names billing accounts), so a new collection needs only a line below.
 * Reads the in-memory state; never a fault, never a write, never a request counted in `_stats`.
 */
import type { MockRecordLookup, MockRecordPage } from "@/server/domain/connector/ports";
import { mockService, type MockService, type MockSystem } from "./mock-service";
import type { World } from "./seed";

interface Collection<S extends MockSystem> {
  name: string;
  /** What one record is, for people: "billing account". */
  noun: string;
  records: (state: World[S]) => Iterable<{ id: string; label: string; gone: boolean }>;
}

const money = (amount: number, currency: string) => `${amount.toFixed(2)} ${currency}`;

const COLLECTIONS: { [S in MockSystem]: Collection<S>[] } = {
  crm: [
    {
      name: "contacts",
      noun: "contact",
      *records(s) {
        for (const c of s.contacts.values())
          yield {
            id: c.id,
            label: `${c.firstName} ${c.lastName} <${c.email}> · ${c.lifecycle}`,
            gone: Boolean(c.deletedAt),
          };
      },
    },
    {
      name: "companies",
      noun: "company",
      *records(s) {
        for (const c of s.companies.values())
          yield { id: c.id, label: `${c.name} · ${c.domain}`, gone: false };
      },
    },
    {
      name: "deals",
      noun: "deal",
      *records(s) {
        for (const d of s.deals.values())
          yield {
            id: d.id,
            label: `${d.name} · ${d.stage} · ${money(d.amount, d.currency)}`,
            gone: Boolean(d.deletedAt),
          };
      },
    },
  ],
  billing: [
    {
      name: "accounts",
      noun: "billing account",
      *records(s) {
        for (const a of s.accounts.values())
          yield { id: a.accountId, label: `${a.name} · ${a.currency} · ${a.status}`, gone: false };
      },
    },
    {
      name: "invoices",
      noun: "invoice",
      *records(s) {
        for (const i of s.invoices.values())
          yield {
            id: i.invoiceId,
            label: `${i.number} · ${money(i.amountDue, i.currency)} due · ${i.status}`,
            gone: false,
          };
      },
    },
    {
      name: "charges",
      noun: "charge",
      *records(s) {
        for (const c of s.charges.values())
          yield {
            id: c.chargeId,
            label: `${money(c.amount, c.currency)} · refunded ${c.refunded} · ${c.status}`,
            gone: false,
          };
      },
    },
    {
      name: "refunds",
      noun: "refund",
      *records(s) {
        for (const r of s.refunds.values())
          yield {
            id: r.refundId,
            label: `${money(r.amount, r.currency)} · ${r.status}`,
            gone: false,
          };
      },
    },
  ],
  clm: [
    {
      name: "contracts",
      noun: "contract",
      *records(s) {
        for (const c of s.contracts.values())
          yield {
            id: c.id,
            label: `${c.customer.name} · ${c.template} · ${c.status}`,
            gone: false,
          };
      },
    },
    {
      name: "envelopes",
      noun: "signature envelope",
      *records(s) {
        for (const e of s.envelopes.values())
          yield { id: e.envelopeId, label: `${e.contractId} · ${e.status}`, gone: false };
      },
    },
  ],
};

function firstId<S extends MockSystem>(c: Collection<S>, state: World[S]): string | undefined {
  for (const r of c.records(state)) return r.id;
  return undefined;
}

/**
 * The mock services' records as a {@link MockRecordLookup}: the collection of `system` whose ids
 * match `idPattern` (a pattern of the block registry, never a caller's), its live records whose
 * id or label contains `query` (case-insensitive), the first `limit` in the service's order.
 */
export function mockRecordLookup(service: () => MockService = mockService): MockRecordLookup {
  return {
    list({ system, tenant, idPattern, query, limit }): MockRecordPage | null {
      const state = service().state(system, tenant);
      const collections = COLLECTIONS[system] as Collection<typeof system>[];
      const collection = collections.find((c) => {
        const id = firstId(c, state);
        return id !== undefined && idPattern.test(id);
      });
      if (!collection) return null;
      const q = query.trim().toLowerCase();
      const items: Array<{ id: string; label: string }> = [];
      let total = 0;
      for (const r of collection.records(state)) {
        if (r.gone || !idPattern.test(r.id)) continue;
        if (q && !r.id.toLowerCase().includes(q) && !r.label.toLowerCase().includes(q)) continue;
        total++;
        if (items.length < limit) items.push({ id: r.id, label: r.label });
      }
      return { collection: collection.name, noun: collection.noun, items, total };
    },
  };
}
