/**
 * Prepares a database for bench/peer-bench.sh: the peers' shapes as Trustflow webhook flows
 * (`noop`: the 2-node flow's counterpart, a webhook and two data.transform steps answering with
 * the output; `set1`/`set100`:
 * chains of data.transform steps setting a field), one secret for all. Prints
 * `{ slug, secret, key }` (key: the credential key to give the server) as JSON.
 *   node --import tsx bench/engine/peer-seed.ts (DATA_DIR | postgres://…)
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { migrate, openDatabase } from "@/server/adapters/prisma";
import { HOOK_FLOW, seedWebhook } from "./bench-seed";

const where = process.argv[2];
if (!where) {
  console.error("usage: peer-seed.ts DATA_DIR|postgres://…");
  process.exit(2);
}
const db = where.startsWith("postgres")
  ? await openDatabase({ kind: "postgres", url: where, poolSize: 2 })
  : await openDatabase({ kind: "pglite", dataDir: path.join(where, "pglite") });
await migrate(db.driver);
const setChain = (name: string, n: number) =>
  [
    `flow: ${name}`,
    "version: 1.0.0",
    "sla: T2",
    "trigger:",
    "  webhook: {}",
    "inputs:",
    "  event: { type: string, required: false }",
    "steps:",
    ...Array.from({ length: n }, (_, i) =>
      [
        `  - id: s${i}`,
        "    uses: data.transform@1",
        ...(i ? [`    needs: [s${i - 1}]`] : []),
        "    with:",
        `      fields: { hop: "'${i}'" }`,
      ].join("\n"),
    ),
    "outputs:",
    `  hop: \${{ steps.s${n - 1}.output.hop }}`,
    "",
  ].join("\n");
// The peers' 2-node flow (trigger -> respond); ours is the 2-step flow of the targets.
const noop = HOOK_FLOW.replace("flow: hook2", "flow: noop");
const key = randomBytes(32);
const seeded = await seedWebhook(db, key, noop, [setChain("set1", 1), setChain("set100", 100)]);
const slug = seeded.paths.noop!.split("/")[3];
console.log(JSON.stringify({ slug, secret: seeded.secret, key: key.toString("base64") }));
await db.close();
process.exit(0);
