/**
 * Run ends across processes: a worker process publishes each run end with PostgreSQL
 * `NOTIFY trustflow_run_end`, and the web process LISTENs and hands it to its notifier,
 * so a synchronous webhook answered by the web process learns at once that a separate worker
 * finished its run. The payload carries the id and status only (NOTIFY payloads are limited to
 * 8 kB); the waiter reads the output from the store.
 */
import pg from "pg";
import type { RunNotifier } from "@/server/domain/run/ports";
import type { RunStatus } from "@/server/engine/types";
import type { SqlQuery } from "../store/sql-run-store";

export const RUN_END_CHANNEL = "trustflow_run_end";

/** Publishes every in-process run end on {@link RUN_END_CHANNEL}; returns the unsubscribe. */
export function publishRunEnds(
  sql: SqlQuery,
  notifier: Pick<RunNotifier, "onRunFinished">,
  onError: (err: unknown) => void,
): () => void {
  return notifier.onRunFinished((end) => {
    sql
      .query(`SELECT pg_notify($1, $2)`, [
        RUN_END_CHANNEL,
        JSON.stringify({ runId: end.runId, status: end.status }),
      ])
      .catch(onError);
  });
}

/**
 * Listens on {@link RUN_END_CHANNEL} with a dedicated connection (reconnecting after errors) and
 * relays ends from other processes. Ends relayed carry `output: undefined` (read it from the store).
 */
export function listenRunEnds(
  connectionString: string,
  notifier: Pick<RunNotifier, "runFinished">,
  onError: (err: unknown) => void,
): { stop(): Promise<void> } {
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = async () => {
    const c = new pg.Client({ connectionString, application_name: "trustflow-run-end-listener" });
    client = c;
    c.on("error", (err) => {
      onError(err);
      if (!stopped) retry = setTimeout(() => void connect(), 1_000);
    });
    c.on("notification", (msg) => {
      if (msg.channel !== RUN_END_CHANNEL || !msg.payload) return;
      try {
        const { runId, status } = JSON.parse(msg.payload) as { runId: string; status: RunStatus };
        notifier.runFinished({ runId, status, output: undefined, error: null });
      } catch (err) {
        onError(err);
      }
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${RUN_END_CHANNEL}`);
    } catch (err) {
      onError(err);
      if (!stopped) retry = setTimeout(() => void connect(), 1_000);
    }
  };
  void connect();
  return {
    async stop() {
      stopped = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
