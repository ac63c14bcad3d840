/**
 * `/api/health` without waiting behind queued work. The database probe (`SELECT 1`, and the
 * migration status at most every 10 s) runs once at a time per database, in the background of
 * the requests, and at most every `refreshMs` (1 s). A request answers at once from the last
 * finished probe while it is fresher than `freshMs` (5 s); otherwise it waits for the running
 * probe at most `waitMs` (250 ms), then answers from the last one and says the database is busy.
 * Under a burst of run starts the embedded database (one connection) has a queue: a health
 * check queueing behind it used to take seconds, and a load balancer would have taken a
 * busy-but-healthy process out of rotation. A failed probe, or one pending longer than
 * `downMs` (30 s), answers 503.
 */
import { migrationStatus } from "@/server/adapters/prisma/migrator";
import type { SqlDriver } from "@/server/adapters/prisma/sql-driver";

/** What the health check needs of the database. */
export interface HealthTarget {
  driver: SqlDriver;
  kind: "pglite" | "postgres";
}

/** Options of {@link healthReport}. */
export interface HealthOptions {
  /** How long a request waits for a running probe when the last one is not fresh. Default 250 ms. */
  waitMs?: number;
  /** A finished probe younger than this answers without waiting. Default 5 s. */
  freshMs?: number;
  /** A new probe starts when the last one is this old. Default 1 s. */
  refreshMs?: number;
  /** A probe pending this long means the database does not answer. Default 30 s. */
  downMs?: number;
  /** How long the migration status is reused. Default 10 s. */
  migrationsTtlMs?: number;
}

type Migrations = Awaited<ReturnType<typeof migrationStatus>>;

interface ProbeResult {
  ok: boolean;
  at: number;
  latencyMs: number;
  error?: string;
  migrations?: Migrations;
}

interface ProbeState {
  inflight?: { since: number; done: Promise<void> };
  last?: ProbeResult;
  migrations?: { at: number; value: Migrations };
}

const states = new WeakMap<SqlDriver, ProbeState>();

function startProbe(
  db: HealthTarget,
  s: ProbeState,
  ttl: number,
): { since: number; done: Promise<void> } {
  const since = Date.now();
  const t0 = performance.now();
  const done = (async () => {
    try {
      await db.driver.query("SELECT 1");
      if (!s.migrations || Date.now() - s.migrations.at >= ttl)
        s.migrations = { at: Date.now(), value: await migrationStatus(db.driver) };
      s.last = {
        ok: true,
        at: Date.now(),
        latencyMs: Math.round(performance.now() - t0),
        migrations: s.migrations.value,
      };
    } catch (err) {
      s.last = {
        ok: false,
        at: Date.now(),
        latencyMs: Math.round(performance.now() - t0),
        error: (err as Error).message,
      };
    } finally {
      s.inflight = undefined;
    }
  })();
  return { since, done };
}

/** The health answer: HTTP status and JSON body (`status` ok | degraded | down). */
export async function healthReport(
  db: HealthTarget,
  version: string,
  opts: HealthOptions = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const waitMs = opts.waitMs ?? 250;
  const downMs = opts.downMs ?? 30_000;
  let s = states.get(db.driver);
  if (!s) {
    s = {};
    states.set(db.driver, s);
  }
  const age = s.last ? Date.now() - s.last.at : Infinity;
  if (!s.inflight && age >= (opts.refreshMs ?? 1_000))
    s.inflight = startProbe(db, s, opts.migrationsTtlMs ?? 10_000);
  const probe = s.inflight;
  // The first probe of a process is awaited in full: there is no earlier answer to give.
  if (!s.last) await probe!.done;
  else if (probe && age >= (opts.freshMs ?? 5_000)) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([probe.done, new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
  }
  const last = s.last!;
  const pendingMs = s.inflight ? Date.now() - s.inflight.since : 0;
  if (!last.ok || pendingMs >= downMs) {
    return {
      status: 503,
      body: {
        status: "down",
        version,
        database: {
          kind: db.kind,
          ok: false,
          error: last.ok ? `no answer for ${Math.round(pendingMs / 1000)} s` : last.error,
        },
      },
    };
  }
  const migrations = last.migrations!;
  const ok = migrations.pending.length === 0;
  return {
    status: ok ? 200 : 503,
    body: {
      status: ok ? "ok" : "degraded",
      version,
      database: {
        kind: db.kind,
        ok: true,
        latencyMs: last.latencyMs,
        // Answered from a probe that finished this long ago, while a newer one waits its turn.
        ...(s.inflight ? { busy: true, checkedMsAgo: Date.now() - last.at } : {}),
      },
      migrations,
    },
  };
}
