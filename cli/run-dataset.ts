/**
 * `trustflow run --dataset <file>`: seeds a sandbox session's mock CRM/Billing/CLM tenant with
 * records, over the mocks' seeded state, with the mocks' own dataset loader
 * (`mockStateFromDataset`, `server/adapters/connectors/mock/dataset-state.ts`: a record whose id
 * the seed has patches it, any other is added with neutral defaults for the fields it leaves
 * out). Two shapes, told apart by the text:
 *
 * - JSON Lines (or a JSON array) of rows naming their system and collection, the sessions'
 *   dataset shape: `{"system": "billing", "type": "accounts", "accountId": "ACC-5521", "creditLimit": 90000}`;
 * - one JSON object, per system and collection:
 *   `{"billing": {"accounts": [{"accountId": "ACC-5521", "creditLimit": 90000}]}, "crm": {...}}`.
 *
 * Bounded: 5 MB of text, 10,000 records; every problem names its line or record and seeds
 * nothing.
 */
import {
  MOCK_COLLECTIONS,
  MockDatasetError,
  mockStateFromDataset,
} from "@/server/adapters/connectors/mock/dataset-state";
import type {
  MockService,
  MockSystem,
  TenantProfile,
} from "@/server/adapters/connectors/mock/mock-service";

export const DATASET_MAX_BYTES = 5 * 1024 * 1024;
export const DATASET_MAX_RECORDS = 10_000;

/** What a dataset seeded: records per `system.collection`. */
export interface DatasetSeedReport {
  records: Record<string, number>;
}

/** A dataset that cannot seed the mocks: the message names the line or record. */
export class DatasetError extends Error {}

interface Item {
  system: MockSystem;
  collection: string;
  record: Record<string, unknown>;
  /** Where it came from, for errors: `line 3`, `crm.contacts[2]`. */
  where: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function systemOf(name: unknown, where: string): MockSystem {
  if (name === "crm" || name === "billing" || name === "clm") return name;
  throw new DatasetError(
    `${where}: unknown system ${JSON.stringify(name)} (use crm, billing, clm)`,
  );
}

function collectionOf(system: MockSystem, name: unknown, where: string): string {
  if (typeof name === "string" && Object.hasOwn(MOCK_COLLECTIONS[system], name)) return name;
  throw new DatasetError(
    `${where}: ${system} has no collection ${JSON.stringify(name)} (use ${Object.keys(MOCK_COLLECTIONS[system]).join(", ")})`,
  );
}

/** The dataset's records, in order; throws {@link DatasetError} on any problem. */
export function parseDataset(text: string): Item[] {
  if (Buffer.byteLength(text, "utf8") > DATASET_MAX_BYTES)
    throw new DatasetError(`the dataset is larger than ${DATASET_MAX_BYTES} bytes (5 MB)`);
  const trimmed = text.replace(/^\uFEFF/, "").trim();
  if (trimmed === "") throw new DatasetError("the dataset is empty");
  const items: Item[] = [];
  const push = (item: Item) => {
    if (items.length >= DATASET_MAX_RECORDS)
      throw new DatasetError(`a dataset seeds at most ${DATASET_MAX_RECORDS} records`);
    items.push(item);
  };
  const row = (raw: unknown, where: string) => {
    if (!isObject(raw)) throw new DatasetError(`${where}: a row is a JSON object`);
    const { system, type, ...record } = raw;
    const s = systemOf(system, where);
    push({ system: s, collection: collectionOf(s, type, where), record, where });
  };
  let whole: unknown;
  let isWhole = true;
  try {
    whole = JSON.parse(trimmed);
  } catch {
    isWhole = false;
  }
  if (isWhole && isObject(whole) && !("system" in whole)) {
    for (const [sys, collections] of Object.entries(whole)) {
      const system = systemOf(sys, `"${sys}"`);
      if (!isObject(collections))
        throw new DatasetError(`"${sys}": give its collections, e.g. {"contacts": [...]}`);
      for (const [name, records] of Object.entries(collections)) {
        const collection = collectionOf(system, name, `${sys}`);
        if (!Array.isArray(records))
          throw new DatasetError(`${sys}.${name}: give an array of records`);
        records.forEach((r, i) => {
          const where = `${sys}.${name}[${i}]`;
          if (!isObject(r)) throw new DatasetError(`${where}: a record is a JSON object`);
          push({ system, collection, record: r, where });
        });
      }
    }
    return items;
  }
  if (isWhole && Array.isArray(whole)) {
    whole.forEach((r, i) => row(r, `row ${i + 1}`));
    return items;
  }
  if (isWhole && isObject(whole)) {
    row(whole, "line 1");
    return items;
  }
  // JSON Lines: one row per non-empty line.
  const lines = trimmed.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      throw new DatasetError(`line ${i + 1}: not JSON (${(e as Error).message})`);
    }
    row(parsed, `line ${i + 1}`);
  });
  return items;
}

/**
 * Seeds `tenant` of the mock services from the dataset `text` (see the module's comment): the
 * tenant is defined with `profile` (its seed and fault rules) and the dataset's records, which
 * its systems' state is forked with at first use. Nothing is defined when the dataset has a
 * problem.
 */
export function seedTenantFromDataset(
  service: MockService,
  tenant: string,
  profile: TenantProfile,
  text: string,
): DatasetSeedReport {
  const items = parseDataset(text);
  const rows = items.map((item) => ({
    ...item.record,
    system: item.system,
    type: item.collection,
  }));
  let dataset;
  try {
    dataset = mockStateFromDataset(rows);
  } catch (err) {
    if (!(err instanceof MockDatasetError)) throw err;
    const where = items[err.row - 1]?.where ?? `record ${err.row}`;
    throw new DatasetError(`${where}: ${err.message.replace(/^Row \d+: /, "")}`);
  }
  service.defineTenant(tenant, { ...profile, dataset });
  const records: Record<string, number> = {};
  for (const item of items) {
    const k = `${item.system}.${item.collection}`;
    records[k] = (records[k] ?? 0) + 1;
  }
  return { records };
}
