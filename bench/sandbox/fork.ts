/**
 * `npm run bench:sandbox-fork`: how long a new sandbox session takes to get its own copy of the
 * mock connector state (issue 16's target: ≤ 200 ms), timed on the mock services themselves
 * (`server/adapters/connectors/mock/`): a fresh tenant's first touch of CRM, Billing and CLM.
 *   - cold: the first session of a seed (the seed's world is generated, then copied);
 *   - warm: another session of a seed already in use (the cached world is copied);
 *   - dataset: a session from a dataset version of `--rows` CRM contacts (the rows are turned
 *     into mock records once per version, as the run wiring caches them; then copied per session);
 *   - dataset, first use: the rows' conversion plus the copy.
 * Medians (and max) of `--reps` repetitions; prints a markdown table and the load average.
 *   node --import tsx bench/sandbox/fork.ts [--reps 15] [--rows 1000]
 */
import os from "node:os";
import { mockStateFromDataset } from "@/server/adapters/connectors/mock/dataset-state";
import {
  MOCK_SYSTEMS,
  MockService,
  type TenantProfile,
} from "@/server/adapters/connectors/mock/mock-service";

const args = process.argv.slice(2);
const opt = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const reps = opt("--reps", 15);
const rowCount = opt("--rows", 1000);

const service = new MockService({ maxTenants: 10_000 });
let tenantNo = 0;

/** Milliseconds for a new tenant to hold its own state of every mock system. */
function fork(profile: TenantProfile): number {
  const tenant = `bench_${tenantNo++}`;
  const t0 = performance.now();
  service.defineTenant(tenant, profile);
  for (const system of MOCK_SYSTEMS) service.state(system, tenant);
  const ms = performance.now() - t0;
  service.dropTenant(tenant);
  return ms;
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! };
}

const rows = Array.from({ length: rowCount }, (_, i) => ({
  system: "crm",
  type: "contacts",
  id: `CON-${i + 1}`,
  email: `person${i + 1}@example.com`,
  firstName: `First${i}`,
  lastName: `Last${i}`,
  lifecycle: i % 3 === 0 ? "customer" : "lead",
  properties: JSON.stringify({ source: "bench", rank: String(i) }),
}));

const load0 = os.loadavg()[0]!.toFixed(2);
// Cold: a new seed each time (the seed cache holds 4 worlds; these seeds are all new).
const cold = Array.from({ length: Math.min(reps, 8) }, (_, i) => fork({ seed: 900_000 + i }));
fork({ seed: 1 }); // warm the cache of seed 1
const warm = Array.from({ length: reps }, () => fork({ seed: 1 }));
const firstUse: number[] = [];
for (let i = 0; i < Math.min(reps, 8); i++) {
  const t0 = performance.now();
  const dataset = mockStateFromDataset(rows);
  const convert = performance.now() - t0;
  firstUse.push(convert + fork({ seed: 1, dataset }));
}
const dataset = mockStateFromDataset(rows);
const fromDataset = Array.from({ length: reps }, () => fork({ seed: 1, dataset }));
const load1 = os.loadavg()[0]!.toFixed(2);

const fmt = (xs: number[]) => {
  const { median, max } = stats(xs);
  return `${median.toFixed(1)} / ${max.toFixed(1)} ms`;
};
console.log(`node ${process.version}, ${os.cpus().length} cores, load ${load0} → ${load1}`);
console.log(`reps ${reps}, dataset rows ${rowCount}\n`);
console.log("| fork of the mock state for a new session | median / max | target |");
console.log("| --- | ---: | --- |");
console.log(`| cold: first session of a seed (world generated + copied) | ${fmt(cold)} | |`);
console.log(`| warm: another session of a seed in use (copied) | ${fmt(warm)} | ≤ 200 ms |`);
console.log(
  `| from a dataset version of ${rowCount} contacts (records cached per version) | ${fmt(fromDataset)} | ≤ 200 ms |`,
);
console.log(`| from a dataset version, first use (rows → records + copy) | ${fmt(firstUse)} | |`);
