/**
 * Mock connector state from a dataset (issue 16): a sandbox session created from a dataset
 * version, and `trustflow run --dataset`, start their mocks from its rows.
 *
 * The shape (one row per record, so CSV, JSON Lines and generated rows all fit):
 *
 * ```jsonl
 * {"system":"crm","type":"contacts","id":"CON-1","email":"ada@example.com","firstName":"Ada"}
 * {"system":"billing","type":"accounts","accountId":"ACC-1","name":"Acme","creditLimit":"5000"}
 * ```
 *
 * - `system` is `crm`, `billing` or `clm`; `type` one of its collections: crm `companies`,
 *   `contacts`, `deals`; billing `accounts`, `invoices`, `charges`, `refunds`; clm `contracts`,
 *   `envelopes`. The rest of the row is the record (`REST.md` shapes), keyed by its id field
 *   (`id`, or `accountId`, `invoiceId`, `chargeId`, `refundId`, `envelopeId`), which is required.
 * - The records are written over the seed's state (the session's seed), as `trustflow run
 *   --dataset` does: a record whose id the seed has patches it (name only the fields that
 *   change); any other record is added, the fields it leaves out given neutral defaults (empty
 *   strings, 0, `{}`, `[]`, the first value of an enum, timestamps of 2025-11-01), so the routes
 *   always find a whole record.
 * - Numbers and booleans may come as strings (CSV), objects and arrays as JSON text; a value of
 *   the wrong kind, an unknown enum value or an id given twice is an error naming the row.
 * - Records created in the session later get ids past the largest numeric id of the dataset.
 */
import { seedState, type World } from "./seed";

type MockSystem = keyof World;

/**
 * A dataset turned into mock records: per system, the collections it names, by id; each record
 * holds the fields the row gave (coerced), defaults are added when it is forked in.
 */
export type MockDataset = {
  [S in MockSystem]?: Partial<Record<string, Map<string, Record<string, unknown>>>>;
};

/** A row that is not a mock record (its 1-based number and what is wrong). */
export class MockDatasetError extends Error {
  override name = "MockDatasetError";
  constructor(
    readonly row: number,
    message: string,
  ) {
    super(`Row ${row}: ${message}`);
  }
}

const AT = "2025-11-01T00:00:00.000Z";
const DATE = "2025-11-01";

type Kind = "string" | "number" | "boolean" | "object" | "array" | "nullable-string";

interface CollectionSpec {
  idField: string;
  /** `next` counter advanced past the largest numeric id suffix, when ids are `<PREFIX>-<n>`. */
  counter?: string;
  /** Field defaults (also their kinds); enum fields list their values. */
  fields: Record<string, { kind: Kind; default: unknown; values?: readonly string[] }>;
}

const s = (d = "") => ({ kind: "string" as const, default: d });
const num = (d = 0) => ({ kind: "number" as const, default: d });
const obj = () => ({ kind: "object" as const, default: {} });
const arr = () => ({ kind: "array" as const, default: [] });
const oneOf = (values: readonly string[]) => ({
  kind: "string" as const,
  default: values[0],
  values,
});

/** The collections of each mock system and what their records hold (`state.ts`). */
export const MOCK_COLLECTIONS: { [S in MockSystem]: Record<string, CollectionSpec> } = {
  crm: {
    companies: {
      idField: "id",
      counter: "company",
      fields: {
        name: s(),
        domain: s(),
        industry: s(),
        employees: num(),
        country: s("US"),
        updatedAt: s(AT),
      },
    },
    contacts: {
      idField: "id",
      counter: "contact",
      fields: {
        email: s(),
        firstName: s(),
        lastName: s(),
        lifecycle: oneOf(["lead", "prospect", "customer", "churned"]),
        properties: obj(),
        updatedAt: s(AT),
      },
    },
    deals: {
      idField: "id",
      counter: "deal",
      fields: {
        name: s(),
        stage: oneOf(["qualification", "proposal", "negotiation", "closed_won", "closed_lost"]),
        amount: num(),
        currency: s("USD"),
        activity: arr(),
        updatedAt: s(AT),
      },
    },
  },
  billing: {
    accounts: {
      idField: "accountId",
      counter: "account",
      fields: {
        customerId: s(),
        name: s(),
        email: s(),
        currency: s("USD"),
        creditLimit: num(),
        balance: num(),
        status: oneOf(["active", "on_hold", "archived"]),
        paymentTermsDays: num(30),
        metadata: obj(),
        createdAt: s(AT),
      },
    },
    invoices: {
      idField: "invoiceId",
      counter: "invoice",
      fields: {
        accountId: s(),
        number: s(),
        currency: s("USD"),
        lines: arr(),
        taxMode: oneOf(["exclusive", "inclusive", "reverse_charge"]),
        total: num(),
        amountDue: num(),
        status: oneOf(["open", "draft", "paid", "void", "uncollectible"]),
        dueDate: s(DATE),
        metadata: obj(),
        createdAt: s(AT),
      },
    },
    charges: {
      idField: "chargeId",
      fields: {
        accountId: s(),
        amount: num(),
        currency: s("USD"),
        refunded: num(),
        status: oneOf(["succeeded", "pending", "failed"]),
        createdAt: s(AT),
      },
    },
    refunds: {
      idField: "refundId",
      fields: {
        chargeId: s(),
        amount: num(),
        currency: s("USD"),
        reason: s(),
        status: oneOf(["succeeded", "pending", "failed"]),
        createdAt: s(AT),
      },
    },
  },
  clm: {
    contracts: {
      idField: "id",
      counter: "contract",
      fields: {
        template: s("msa-2024"),
        customer: { kind: "object", default: { id: "", name: "", email: "" } },
        currency: s("USD"),
        amount: num(),
        status: oneOf(["draft", "out_for_signature", "signed", "active", "expired", "terminated"]),
        signedAt: { kind: "nullable-string", default: null },
        startDate: s(DATE),
        endDate: s(DATE),
        termMonths: num(12),
      },
    },
    envelopes: {
      idField: "envelopeId",
      fields: {
        contractId: s(),
        status: oneOf(["sent", "delivered", "completed", "declined", "cancelled", "expired"]),
        sentAt: s(AT),
        expiresAt: s(AT),
        signers: arr(),
      },
    },
  },
};

function define(target: Record<string, unknown>, key: string, value: unknown) {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** A new record's defaults: fresh objects and arrays each time (records are mutated). */
function defaultsOf(spec: CollectionSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Defaults hold scalars, empty arrays and flat objects of strings: a shallow copy is fresh.
  for (const [key, f] of Object.entries(spec.fields)) {
    const d = f.default;
    out[key] = Array.isArray(d)
      ? [...(d as unknown[])]
      : d !== null && typeof d === "object"
        ? { ...d }
        : d;
  }
  return out;
}

function coerce(kind: Kind, value: unknown, row: number, field: string): unknown {
  if (kind === "nullable-string") {
    if (value === null || value === "") return null;
    kind = "string";
  }
  switch (kind) {
    case "string":
      if (typeof value === "string") return value;
      if (typeof value === "number" || typeof value === "boolean") return String(value);
      break;
    case "number":
      if (typeof value === "number" && Number.isFinite(value)) return value;
      if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))
        return Number(value);
      break;
    case "boolean":
      if (typeof value === "boolean") return value;
      if (value === "true" || value === "false") return value === "true";
      break;
    case "object":
    case "array": {
      let v = value;
      if (typeof v === "string") {
        if (v.trim() === "") return kind === "array" ? [] : {};
        try {
          v = JSON.parse(v);
        } catch {
          break;
        }
      }
      if (kind === "array" ? Array.isArray(v) : typeof v === "object" && v && !Array.isArray(v))
        return v;
      break;
    }
  }
  throw new MockDatasetError(row, `"${field}" must be ${kind === "array" ? "an" : "a"} ${kind}.`);
}

/**
 * Turns dataset rows (the shape above) into mock records, per system and collection. Pure: the
 * same rows give the same records. Throws {@link MockDatasetError} naming the first bad row.
 */
export function mockStateFromDataset(rows: readonly Record<string, unknown>[]): MockDataset {
  const out: MockDataset = {};
  rows.forEach((r, k) => {
    const row = k + 1;
    const system = r.system;
    if (typeof system !== "string" || !Object.hasOwn(MOCK_COLLECTIONS, system)) {
      throw new MockDatasetError(row, `"system" must be one of crm, billing, clm.`);
    }
    const specs = MOCK_COLLECTIONS[system as MockSystem];
    const type = r.type;
    if (typeof type !== "string" || !Object.hasOwn(specs, type)) {
      throw new MockDatasetError(
        row,
        `"type" must be a ${system} collection: ${Object.keys(specs).join(", ")}.`,
      );
    }
    const spec = specs[type]!;
    const id = r[spec.idField];
    if ((typeof id !== "string" && typeof id !== "number") || String(id).trim() === "") {
      throw new MockDatasetError(row, `a ${system} ${type} record needs "${spec.idField}".`);
    }
    const record: Record<string, unknown> = {};
    // Assigned, except a `__proto__` key: defined, so it stays data.
    const put = (key: string, value: unknown) => {
      if (key === "__proto__") define(record, key, value);
      else record[key] = value;
    };
    put(spec.idField, String(id));
    for (const [key, value] of Object.entries(r)) {
      if (key === "system" || key === "type" || key === spec.idField) continue;
      const f = Object.hasOwn(spec.fields, key) ? spec.fields[key] : undefined;
      if (!f) {
        put(key, value);
        continue;
      }
      const v = coerce(f.kind, value, row, key);
      if (f.values && !f.values.includes(v as string)) {
        throw new MockDatasetError(row, `"${key}" must be one of ${f.values.join(", ")}.`);
      }
      put(key, v);
    }
    const collections = (out[system as MockSystem] ??= {});
    const map = (collections[type] ??= new Map());
    if (map.has(String(id))) {
      throw new MockDatasetError(row, `${system} ${type} "${String(id)}" appears twice.`);
    }
    map.set(String(id), record);
  });
  return out;
}

/**
 * A fresh, mutable state of `system` for a tenant: the seed's (of `seed`) with the dataset's
 * records written over it (a seeded id patched, any other added with defaults), all copies.
 */
export function forkSystemState<S extends MockSystem>(
  system: S,
  seed: number,
  dataset?: MockDataset,
): World[S] {
  const state = seedState(system, seed);
  const overlay = dataset?.[system];
  if (!overlay) return state;
  const target = state as unknown as Record<string, unknown> & { next: Record<string, number> };
  for (const [type, records] of Object.entries(overlay)) {
    const spec = MOCK_COLLECTIONS[system][type];
    const map = target[type] as Map<string, Record<string, unknown>> | undefined;
    if (!records || !spec || !map) continue;
    // The dataset is shared by every session of the version: its objects are copied, never
    // handed out (scalars need no copy).
    for (const [id, record] of records) {
      const target = map.get(id) ?? defaultsOf(spec);
      for (const key of Object.keys(record)) {
        const v = record[key];
        const value = v !== null && typeof v === "object" ? structuredClone(v) : v;
        // A `__proto__` field stays data: defined, never assigned.
        if (key === "__proto__") define(target, key, value);
        else target[key] = value;
      }
      map.set(id, target);
    }
    if (!spec.counter) continue;
    let max = 0;
    for (const id of records.keys()) {
      const m = /-(\d{1,9})$/.exec(id);
      if (m) max = Math.max(max, Number(m[1]));
    }
    target.next[spec.counter] = Math.max(target.next[spec.counter] ?? 1, max + 1);
  }
  return state;
}
