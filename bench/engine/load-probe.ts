/**
 * Runs the peers' load generator (`loadgen.mjs max`) against a benchmark server and measures
 * what the server side spends meanwhile (`bench/peer-bench.sh` with PROBE=1):
 *
 * - CPU: user+system time of the server, the signing relay and every process of the embedded
 *   PostgreSQL (the postmaster and its children), from /proc before and after the load; per
 *   request = the total over the requests answered;
 * - the load generator's CPU (sampled with the waits; its last sample is at most 50 ms before it
 *   exits) and the whole machine's busy share of its cores (/proc/stat), so a figure shows
 *   whether the cores were full;
 * - waits: `pg_stat_activity` of the database's active client backends every 50 ms, counted by
 *   wait event ("CPU" when none): where the writing backends spend the load.
 *
 * (For the ledger outbox's sittings in bench/RESULTS.md this probe, as of commit c2af168, also
 * sampled the outbox's lag; the outbox was removed, and that sampling with it.)
 *
 * usage: node --import tsx bench/engine/load-probe.ts DATA_DIR LOADGEN MODE URL ARG SECS OUT.json PID...
 * (MODE `max` with ARG connections, or `rate` with ARG requests per second: the CPU per request
 * at a fixed rate, where neither side's background work is spread over more requests).
 * Prints loadgen's JSON line on stdout (as `loadgen.mjs` does); writes the figures to OUT.json.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import pg from "pg";
import { joinEmbeddedPostgres } from "@/server/adapters/embedded-postgres/cluster";
import { EMBEDDED_DATABASE } from "@/server/embedded-database";

const [dataDir, loadgen, mode, url, arg, secs, out, ...pidArgs] = process.argv.slice(2);
if (
  !dataDir ||
  !loadgen ||
  !["max", "rate"].includes(mode ?? "") ||
  !url ||
  !arg ||
  !secs ||
  !out
) {
  console.error("usage: load-probe.ts DATA_DIR LOADGEN max|rate URL ARG SECS OUT.json PID...");
  process.exit(2);
}
const TICK_MS = 1000 / 100; // USER_HZ: 100 on Linux

/**
 * Two adjacent CPU times of /proc/PID/stat, summed, in ms (0 when the process is gone): from
 * field 14 (utime, stime: the process's own) or field 16 (cutime, cstime: its children that
 * exited and were waited for).
 */
function statCpuMs(pid: number, fromField: 14 | 16): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const i = fromField - 3; // the fields after the command's closing parenthesis start at 3
    return (Number(f[i]) + Number(f[i + 1])) * TICK_MS;
  } catch {
    return 0;
  }
}
/** user+system CPU of a process, in ms (0 when it is gone). */
const cpuMs = (pid: number) => statCpuMs(pid, 14);
/** CPU of a process's children that exited and were waited for (cutime+cstime), in ms. */
const exitedChildrenCpuMs = (pid: number) => statCpuMs(pid, 16);

/** What a PostgreSQL process is, from its title ("postgres: walwriter", "postgres: user db host"). */
function pgKind(pid: number, dbName: string): string {
  try {
    const title = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
    if (!title.startsWith("postgres:")) return "postmaster";
    if (title.includes(` ${dbName} `)) return "client backends";
    return title
      .slice("postgres: ".length)
      .replace(/[\d\s]+$/, "")
      .replace(/ launcher$/, "");
  } catch {
    return "gone";
  }
}

/** Busy and total jiffies of all cores together (/proc/stat's first line). */
function machineJiffies(): { busy: number; total: number } {
  const f = readFileSync("/proc/stat", "utf8")
    .split("\n")[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = f.reduce((s, x) => s + x, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0); // idle, iowait
  return { busy: total - idle, total };
}

/** `root` and its descendants. */
function tree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++)
    for (const [pid, ppid] of parent) if (ppid === out[i]) out.push(pid);
  return out;
}

async function main() {
  const embedded = await joinEmbeddedPostgres({ dataDir: dataDir! });
  if (!embedded) throw new Error(`no embedded PostgreSQL runs under ${dataDir}`);
  const client = new pg.Client({ connectionString: embedded.urlFor(EMBEDDED_DATABASE) });
  await client.connect();
  const named = pidArgs.map(Number);
  const pgBefore = new Map(tree(embedded.pid).map((p) => [p, cpuMs(p)]));
  const exitedBefore = exitedChildrenCpuMs(embedded.pid);
  const namedBefore = named.map(cpuMs);

  const waits: Record<string, number> = {};
  let samples = 0;
  const sample = async () => {
    const rows = await client.query<{ w: string }>(
      `SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS w FROM pg_stat_activity
       WHERE datname = $1 AND backend_type = 'client backend' AND state = 'active'
         AND pid <> pg_backend_pid()`,
      [EMBEDDED_DATABASE],
    );
    samples++;
    for (const r of rows.rows) waits[r.w] = (waits[r.w] ?? 0) + 1;
  };

  const t0 = Date.now();
  const machineBefore = machineJiffies();
  const probeBefore = process.cpuUsage();
  const child = spawn(process.execPath, [loadgen!, mode!, url!, arg!, secs!], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let result = "";
  child.stdout.on("data", (d: Buffer) => (result += d.toString()));
  const done = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  let running = true;
  void done.then(() => (running = false));
  let loadgenMs = 0;
  while (running) {
    if (child.pid) loadgenMs = Math.max(loadgenMs, cpuMs(child.pid));
    await sample();
    await new Promise((r) => setTimeout(r, 50));
  }
  const wallMs = Date.now() - t0;
  const machineAfter = machineJiffies();
  const probeUsage = process.cpuUsage(probeBefore);
  const probeMs = (probeUsage.user + probeUsage.system) / 1000;
  const namedAfter = named.map(cpuMs);
  const pgAfter = tree(embedded.pid).map((p) => [p, cpuMs(p)] as const);
  // Processes that ended within the window (autovacuum and parallel workers, connections
  // closed): only the postmaster's count of its exited children has them, with the whole life's
  // CPU of each; what those alive at the start had spent before it is not the window's.
  const alive = new Set(pgAfter.map(([p]) => p));
  let spentBefore = 0;
  for (const [p, ms] of pgBefore) if (!alive.has(p)) spentBefore += ms;
  const exitedMs = exitedChildrenCpuMs(embedded.pid) - exitedBefore - spentBefore;
  await client.end();

  const lg = JSON.parse(result.trim().split("\n").at(-1)!) as { ok: number; rps: number };
  const serverMs = namedAfter[0]! - namedBefore[0]!;
  const relayMs = (namedAfter[1] ?? 0) - (namedBefore[1] ?? 0);
  const postgresMs = pgAfter.reduce((s, [p, ms]) => s + ms - (pgBefore.get(p) ?? 0), 0) + exitedMs;
  const pgByKind: Record<string, number> = { "exited workers": exitedMs };
  for (const [p, ms] of pgAfter) {
    const k = pgKind(p, EMBEDDED_DATABASE);
    pgByKind[k] = (pgByKind[k] ?? 0) + ms - (pgBefore.get(p) ?? 0);
  }
  const per = (ms: number) => Math.round((ms / Math.max(1, lg.ok)) * 1000) / 1000;
  const figures = {
    mode,
    wallMs,
    requests: lg.ok,
    rps: lg.rps,
    cpuMs: {
      server: serverMs,
      relay: relayMs,
      postgres: postgresMs,
      loadgen: loadgenMs,
      probe: probeMs,
    },
    cpuMsPerRequest: {
      server: per(serverMs),
      relay: per(relayMs),
      postgres: per(postgresMs),
      total: per(serverMs + relayMs + postgresMs),
      loadgen: per(loadgenMs),
      probe: per(probeMs),
    },
    // PostgreSQL's CPU per request by process kind (client backends, walwriter, autovacuum, ...).
    postgresByKind: Object.fromEntries(
      Object.entries(pgByKind)
        .filter(([, ms]) => ms > 0)
        .sort((a, b) => b[1] - a[1])
        .map(([k, ms]) => [k, per(ms)]),
    ),
    // The share of all cores busy (1 = every core busy the whole time), any process.
    machineBusy:
      Math.round(
        ((machineAfter.busy - machineBefore.busy) /
          Math.max(1, machineAfter.total - machineBefore.total)) *
          1000,
      ) / 1000,
    coresUsed: {
      server: serverMs / wallMs,
      relay: relayMs / wallMs,
      postgres: postgresMs / wallMs,
    },
    waitSamples: samples,
    // Active client backends per sample, by wait event.
    waits: Object.fromEntries(
      Object.entries(waits)
        .sort((a, b) => b[1] - a[1])
        .map(([w, n]) => [w, Math.round((n / samples) * 100) / 100]),
    ),
  };
  writeFileSync(out!, JSON.stringify(figures, null, 2));
  process.stdout.write(result);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
