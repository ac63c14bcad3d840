/**
 * The live feed of a run's events for the run view: authorises a signed-in user for one run and
 * streams its `RunEvent`s as Server-Sent Events after a given seq.
 *
 * The engine writes events in its checkpoints and has no in-process "event appended" hook
 * (the run notifier, `RunNotifier` in `./ports.ts`, only signals runs that became due), so the stream polls the store:
 * at once when the run is signalled due, else every `pollMs`. Events carry their seq as the SSE
 * `id`, so a browser's automatic reconnect resumes where it stopped (`Last-Event-ID`).
 */
import { isTerminalRun, type RunEventRecord } from "@/server/engine/types";
import type { RunNotifier } from "./ports";
import type { RunStore } from "@/server/engine/ports";
import type { Db } from "../types";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isUuid = (s: string) => UUID.test(s);

export type RunStreamAccess =
  { ok: true; workspaceId: string } | { ok: false; status: 400 | 403 | 404; message: string };

/**
 * Whether `userId` may read run `runId`: the run must belong to a workspace the user is a member
 * of, and to `workspaceId` when one is given (the browser's selected workspace). An unknown run
 * and another workspace's run answer alike (404), so ids cannot be probed.
 */
export async function authorizeRunStream(
  db: Db,
  store: RunStore,
  q: { userId: string; runId: string; workspaceId: string | null },
): Promise<RunStreamAccess> {
  if (!isUuid(q.runId)) return { ok: false, status: 400, message: "Not a run id." };
  if (q.workspaceId !== null && !isUuid(q.workspaceId))
    return { ok: false, status: 400, message: "Not a workspace id." };
  if (q.workspaceId) {
    const member = await db.membership.findFirst({
      where: { userId: q.userId, workspaceId: q.workspaceId },
    });
    if (!member)
      return { ok: false, status: 403, message: "You are not a member of this workspace." };
  }
  const run = await store.getRun(q.runId);
  if (!run || (q.workspaceId && run.workspaceId !== q.workspaceId))
    return { ok: false, status: 404, message: "Run not found." };
  if (!q.workspaceId) {
    const member = await db.membership.findFirst({
      where: { userId: q.userId, workspaceId: run.workspaceId },
    });
    if (!member) return { ok: false, status: 404, message: "Run not found." };
  }
  return { ok: true, workspaceId: run.workspaceId };
}

export interface RunEventsStreamOptions {
  /** Only events with a greater seq are sent. */
  afterSeq: number;
  /** How often the store is read while nothing signals the run (default 500 ms). */
  pollMs?: number;
  /** A comment line keeps proxies from closing an idle stream (default 15 s). */
  heartbeatMs?: number;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
  /** The process's run notifier: the store is read at once when the run becomes due. */
  notifier?: Pick<RunNotifier, "onRunDue">;
}

const encoder = new TextEncoder();

/** One SSE message. */
export function sseMessage(event: string, data: unknown, id?: number): string {
  return `${id !== undefined ? `id: ${id}\n` : ""}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * A stream of the run's events: `event: run-event` per record (`id` = seq), `: heartbeat`
 * comments, and a final `event: end` with the run's status once it is finished and every event
 * has been sent; then the stream closes.
 */
export function runEventsStream(
  store: RunStore,
  runId: string,
  opts: RunEventsStreamOptions,
): ReadableStream<Uint8Array> {
  const pollMs = opts.pollMs ?? 500;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  let closed = false;
  let cleanup = () => {};
  return new ReadableStream<Uint8Array>({
    start(controller) {
      let after = opts.afterSeq;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let reading = false;
      let again = false;
      const send = (text: string) => {
        if (!closed) controller.enqueue(encoder.encode(text));
      };
      const close = () => {
        if (closed) return;
        closed = true;
        cleanup();
        try {
          controller.close();
        } catch {
          // Already closed by the client.
        }
      };
      const heartbeat = setInterval(() => send(": heartbeat\n\n"), heartbeatMs);
      const unsubscribe =
        opts.notifier?.onRunDue((id) => {
          if (id === runId) schedule(0);
        }) ?? (() => {});
      const onAbort = () => close();
      opts.signal?.addEventListener("abort", onAbort);
      cleanup = () => {
        clearInterval(heartbeat);
        if (timer) clearTimeout(timer);
        unsubscribe();
        opts.signal?.removeEventListener("abort", onAbort);
      };

      function schedule(ms: number) {
        if (closed) return;
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => void read(), ms);
      }

      async function read() {
        if (closed) return;
        if (reading) {
          again = true;
          return;
        }
        reading = true;
        try {
          // Status first: a run that is finished now has all its events written.
          const run = await store.getRun(runId);
          let batch: RunEventRecord[];
          do {
            batch = await store.listEvents(runId, after, 500);
            for (const e of batch) {
              send(sseMessage("run-event", e, e.seq));
              after = e.seq;
            }
          } while (batch.length === 500 && !closed);
          if (!run || isTerminalRun(run.status)) {
            send(sseMessage("end", { status: run?.status ?? null, lastSeq: after }));
            close();
            return;
          }
        } catch (err) {
          send(sseMessage("stream-error", { message: (err as Error).message }));
          close();
          return;
        } finally {
          reading = false;
        }
        schedule(again ? 0 : pollMs);
        again = false;
      }

      send("retry: 2000\n\n");
      void read();
    },
    cancel() {
      closed = true;
      cleanup();
    },
  });
}
