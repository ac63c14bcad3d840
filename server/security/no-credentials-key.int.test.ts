import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyIdOf, keyringFromEnv } from "@/server/adapters/connectors/credentials";
import { keyringVault } from "@/server/adapters/connectors/vault";
import type { Database } from "@/server/adapters/prisma";
import { setCredential } from "@/server/domain/connector/connectors";
import { openCredential } from "@/server/domain/connector/types";
import { rotateWebhookSecret } from "@/server/domain/trigger/webhooks";
import { parseEnv, ZEnv } from "@/server/env";
import { adminActor, callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { servicesFor } from "@/server/testing/services";

const run = promisify(execFile);

const HOOK = `flow: key-hook
version: 1.0.0
sla: T2
trigger:
  webhook: {}
steps:
  - id: noop
    uses: data.transform@1
    with:
      fields: { ok: "'yes'" }
`;

let db: Database;
let dataDir: string;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), "tf-nokey-"));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  db = await openTestDatabase();
  dataDir = tempDir();
});
afterAll(async () => {
  await db?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("no credentials key", () => {
  // `npm start` on the embedded database: NODE_ENV=production, no TRUSTFLOW_CREDENTIALS_KEY.
  const production = () => ({ NODE_ENV: "production", TRUSTFLOW_DATA_DIR: dataDir });

  it("production on the embedded database keeps a generated key in the data directory (0600), reused", () => {
    const first = keyringFromEnv(production());
    const file = path.join(dataDir, "credentials.key");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, "utf8").trim(), "base64")).toHaveLength(32);
    expect(keyIdOf(Buffer.from(readFileSync(file, "utf8").trim(), "base64"))).toBe(
      first.currentKeyId,
    );
    // The next start reads the same key; no temporary file is left behind.
    expect(keyringFromEnv(production()).currentKeyId).toBe(first.currentKeyId);
    expect(readdirSync(dataDir)).toEqual(["credentials.key"]);
    // The boot check passes: the embedded database needs no variable.
    expect(() => parseEnv(production())).not.toThrow();
  });

  it("processes starting at the same time end with one key", async () => {
    const dir = tempDir();
    const script = `import("${path.join(process.cwd(), "server/adapters/connectors/credentials.ts")}").then((m) => process.stdout.write(m.keyringFromEnv({ NODE_ENV: "production", TRUSTFLOW_DATA_DIR: ${JSON.stringify(dir)} }).currentKeyId))`;
    const outputs = await Promise.all(
      Array.from({ length: 4 }, () =>
        run(process.execPath, ["--import", "tsx", "-e", script], { cwd: process.cwd() }),
      ),
    );
    const ids = new Set(outputs.map((o) => o.stdout.trim()));
    expect(ids.size).toBe(1);
    expect(readdirSync(dir)).toEqual(["credentials.key"]);
    expect(keyringFromEnv({ NODE_ENV: "production", TRUSTFLOW_DATA_DIR: dir }).currentKeyId).toBe(
      [...ids][0],
    );
  });

  it("production with DATABASE_URL and no key stops at boot with the variable named", () => {
    const env = { NODE_ENV: "production", DATABASE_URL: "postgres://db.internal/trustflow" };
    expect(() => parseEnv(env)).toThrow(/TRUSTFLOW_CREDENTIALS_KEY: required in production/);
    expect(() => keyringFromEnv(env)).toThrow(/TRUSTFLOW_CREDENTIALS_KEY is not set/);
    // scripts/start.mjs validates with the same schema before it builds or serves anything.
    expect(ZEnv.safeParse(env).success).toBe(false);
    expect(() => parseEnv({ TRUSTFLOW_CREDENTIALS_KEY: "c2hvcnQ=" })).toThrow(
      /TRUSTFLOW_CREDENTIALS_KEY: must be 32 bytes in base64/,
    );
    expect(() =>
      parseEnv({ ...env, TRUSTFLOW_CREDENTIALS_KEY: Buffer.alloc(32, 7).toString("base64") }),
    ).not.toThrow();
  });

  it("setting a connector credential and rotating a webhook secret work with the generated key", async () => {
    const vault = keyringVault(keyringFromEnv(production()));
    const owner = await makeUser(db.prisma, "nokey");
    const actor = adminActor(owner);
    const conn = await db.prisma.connector.create({
      data: {
        workspaceId: owner.workspace.id,
        name: "crm-prod",
        system: "crm",
        baseUrl: "https://crm.example.com",
        authScheme: "bearer",
      },
    });
    const SECRET = "sk_live_generated_key_ok_1234";
    const set = await setCredential(
      db.prisma,
      actor,
      { connectorId: conn.id, secret: SECRET },
      { vault },
    );
    expect(set.hint).toBe("…1234");
    const row = await db.prisma.credential.findUniqueOrThrow({ where: { connectorId: conn.id } });
    expect(row.ciphertext).not.toContain(SECRET);
    // A fresh keyring read from the same data directory (the next start) opens it.
    const again = keyringVault(keyringFromEnv(production()));
    expect(openCredential(again, owner.workspace.id, row).secret).toBe(SECRET);

    const wf = await callerFor(db.prisma, owner.user, owner.workspace.id).workflow.create({
      name: "Key hook",
      dsl: HOOK,
    });
    const rotated = await rotateWebhookSecret({ ...servicesFor(db), vault }, actor, {
      workflowId: wf.id,
    });
    const stored = await db.prisma.webhookSecret.findUniqueOrThrow({
      where: { workflowId: wf.id },
    });
    expect(again.open(stored, `webhook:${owner.workspace.id}:${wf.id}`)).toBe(rotated.secret);
  });
});
