import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { inPostgresPass } from "@/server/testing/passes";
import { joinEmbeddedPostgres, startEmbeddedPostgres, type EmbeddedPostgres } from "./cluster";

// The embedded server does not depend on TEST_DB: run these once, in the PGlite pass.

const dirs: string[] = [];
const servers: EmbeddedPostgres[] = [];
function tempDataDir() {
  const d = mkdtempSync(path.join(os.tmpdir(), "tf-embedded-pg-"));
  dirs.push(d);
  return d;
}
async function start(dataDir: string) {
  const s = await startEmbeddedPostgres({ dataDir });
  servers.push(s);
  return s;
}
afterAll(async () => {
  for (const s of servers) await s.stop();
  for (const d of dirs) {
    const pid = postmasterPid(d);
    if (pid) await stopPid(pid);
    rmSync(d, { recursive: true, force: true });
  }
});

function postmasterPid(dataDir: string): number | null {
  try {
    return Number(
      readFileSync(path.join(dataDir, "postgres", "postmaster.pid"), "utf8").split("\n")[0],
    );
  } catch {
    return null;
  }
}
function isAlive(pid: number) {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}
async function stopPid(pid: number) {
  try {
    process.kill(pid, "SIGINT");
  } catch {
    return;
  }
  for (let i = 0; i < 400 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 25));
}
async function query<T>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.end();
  }
}
/** Runs `code` (ESM, top-level await) in a separate Node process with tsx; resolves with its stdout. */
function child(
  code: string,
): Promise<{ stdout: string; code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
      cwd: path.resolve(import.meta.dirname, "../../.."),
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    p.stdout.on("data", (c) => (stdout += c));
    p.on("exit", (code, signal) => resolve({ stdout, code, signal }));
  });
}
const CLUSTER = JSON.stringify(path.resolve(import.meta.dirname, "cluster.ts"));

describe.skipIf(inPostgresPass)("embedded PostgreSQL", () => {
  it("initialises a durable, password-protected server on loopback under the data directory", async () => {
    const dataDir = tempDataDir();
    const s = await start(dataDir);
    expect(s.how).toBe("initialised");
    expect(s.owned).toBe(true);
    expect(s.version).toMatch(/^18\./);
    expect(s.clusterDir).toBe(path.join(dataDir, "postgres"));
    expect(existsSync(path.join(dataDir, "postgres", "PG_VERSION"))).toBe(true);
    // Durability is on, whatever a configuration file says.
    const settings = await query<{ name: string; setting: string }>(
      s.adminUrl,
      `SELECT name, setting FROM pg_settings WHERE name IN
       ('fsync','synchronous_commit','full_page_writes','listen_addresses','unix_socket_directories','data_checksums')`,
    );
    expect(Object.fromEntries(settings.map((r) => [r.name, r.setting]))).toEqual({
      fsync: "on",
      synchronous_commit: "on",
      full_page_writes: "on",
      listen_addresses: "127.0.0.1",
      unix_socket_directories: "",
      data_checksums: "on",
    });
    // The password is generated, kept beside the data for this user only, and required.
    expect(statSync(s.passwordFile).mode & 0o777).toBe(0o600);
    const wrong = new URL(s.adminUrl);
    wrong.password = "not-the-password";
    await expect(query(wrong.toString(), "SELECT 1")).rejects.toThrow(
      /password authentication failed/,
    );
    if (process.getuid?.() === 0) {
      // PostgreSQL refuses root: the cluster belongs to the postgres user, mode 0700.
      const st = statSync(s.clusterDir);
      expect(st.uid).not.toBe(0);
      expect(st.mode & 0o777).toBe(0o700);
    }
  });

  it("is joined by another caller, which cannot stop it; its owner stops it", async () => {
    const dataDir = tempDataDir();
    const owner = await start(dataDir);
    const joined = await joinEmbeddedPostgres({ dataDir });
    expect(joined).not.toBeNull();
    expect(joined!.how).toBe("joined");
    expect(joined!.owned).toBe(false);
    expect(joined!.pid).toBe(owner.pid);
    await joined!.stop();
    expect(isAlive(owner.pid)).toBe(true);
    await query(owner.adminUrl, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)");
    await owner.stop();
    expect(isAlive(owner.pid)).toBe(false);
    expect(existsSync(path.join(dataDir, "postgres", "postmaster.pid"))).toBe(false);
    expect(await joinEmbeddedPostgres({ dataDir })).toBeNull();
    // Started again, with what was committed before.
    const again = await start(dataDir);
    expect(again.how).toBe("started");
    expect(await query(again.adminUrl, "SELECT v FROM kept")).toEqual([{ v: 42 }]);
  });

  it("adopts a server whose starter was killed, and recovers from a killed server", async () => {
    const dataDir = tempDataDir();
    // A process starts the server, commits a row and is SIGKILLed: the server runs on, orphaned.
    const killed = await child(`
      import pg from "pg";
      const { startEmbeddedPostgres } = await import(${CLUSTER});
      const s = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)} });
      const c = new pg.Client({ connectionString: s.adminUrl });
      await c.connect();
      await c.query("CREATE TABLE acked (v int); INSERT INTO acked VALUES (1)");
      console.log(s.pid);
      process.kill(process.pid, "SIGKILL");
    `);
    expect(killed.signal).toBe("SIGKILL");
    const orphan = Number(killed.stdout.trim());
    expect(isAlive(orphan)).toBe(true);
    const adopted = await start(dataDir);
    expect(adopted.how).toBe("adopted");
    expect(adopted.owned).toBe(true);
    expect(adopted.pid).toBe(orphan);
    // Now the server itself is SIGKILLed mid-life: the next start replays its WAL.
    await query(adopted.adminUrl, "INSERT INTO acked VALUES (2)");
    process.kill(adopted.pid, "SIGKILL");
    for (let i = 0; i < 200 && isAlive(adopted.pid); i++)
      await new Promise((r) => setTimeout(r, 25));
    const recovered = await start(dataDir);
    expect(recovered.how).toBe("started");
    expect(recovered.pid).not.toBe(orphan);
    expect(await query(recovered.adminUrl, "SELECT v FROM acked ORDER BY v")).toEqual([
      { v: 1 },
      { v: 2 },
    ]);
    expect(readFileSync(path.join(dataDir, "postgres.log"), "utf8")).toMatch(
      /database system was interrupted|not properly shut down/,
    );
  });

  it("stops the server it owns when its process exits without stopping it", async () => {
    const dataDir = tempDataDir();
    const r = await child(`
      const { startEmbeddedPostgres } = await import(${CLUSTER});
      const s = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)} });
      console.log(s.pid);
      process.exit(0);
    `);
    expect(r.code).toBe(0);
    const pid = Number(r.stdout.trim());
    for (let i = 0; i < 400 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 25));
    expect(isAlive(pid)).toBe(false);
  });

  it("says clearly when the kept password no longer matches", async () => {
    const dataDir = tempDataDir();
    const s = await start(dataDir);
    await s.stop();
    const { writeFileSync } = await import("node:fs");
    writeFileSync(s.passwordFile, "something-else\n");
    await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(/refused the password/);
    const pid = postmasterPid(dataDir);
    if (pid) await stopPid(pid);
  });
});
