import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedWorker, type EmbeddedWorker } from "@/server/adapters/queue/embedded-worker";
import type { Database } from "@/server/adapters/prisma";
import { addMembership, callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { authorizeRunStream, runEventsStream } from "./run-events-stream";
import { servicesFor } from "@/server/testing/services";
import { engineFor } from "@/server/testing/engine";

let db: Database;
let worker: EmbeddedWorker;
let owner: Awaited<ReturnType<typeof makeUser>>;
let stranger: Awaited<ReturnType<typeof makeUser>>;
/** An approver of the owner's workspace: decides the owner's runs (never the owner). */
let approver: Awaited<ReturnType<typeof makeUser>>;

const FLOW = `flow: streamed
version: 1.0.0
trigger:
  manual: {}
steps:
  - id: calc
    uses: data.transform@1
    with:
      fields: { one: "1 + 1" }
  - id: ok
    uses: human.approval@1
    needs: [calc]
    with:
      approvers: { role: approver }
      message: Go?
`;

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "streamer");
  stranger = await makeUser(db.prisma, "stranger");
  approver = await makeUser(db.prisma, "approver");
  await addMembership(db.prisma, approver.user.id, owner.workspace.id, "approver");
  worker = startEmbeddedWorker(servicesFor(db), {
    engine: engineFor(db),
    pollMs: 20,
  });
});
afterAll(async () => {
  await worker?.stop();
  await db?.close();
});

/** Reads SSE messages until `stop` says so; returns them as `{ event, id, data }`. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  stop: (msgs: Array<{ event: string; id?: string; data: unknown }>) => boolean,
  seen: Array<{ event: string; id?: string; data: unknown }> = [],
) {
  const decoder = new TextDecoder();
  let buffer = "";
  while (!stop(seen)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let i: number;
    while ((i = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      const fields = Object.fromEntries(
        block
          .split("\n")
          .filter((l) => l && !l.startsWith(":"))
          .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 2)]),
      ) as Record<string, string>;
      if (fields.event)
        seen.push({ event: fields.event, id: fields.id, data: JSON.parse(fields.data ?? "null") });
    }
  }
  return seen;
}

describe("run events stream", () => {
  it("authorises members of the run's workspace only", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const wf = await api.workflow.create({ name: "Streamed auth", dsl: FLOW });
    const run = await api.run.start({ workflowId: wf.id, draft: true });
    const store = servicesFor(db).runs;
    const q = { userId: owner.user.id, runId: run.id };
    await expect(
      authorizeRunStream(db.prisma, store, { ...q, workspaceId: owner.workspace.id }),
    ).resolves.toEqual({ ok: true, workspaceId: owner.workspace.id });
    await expect(
      authorizeRunStream(db.prisma, store, { ...q, workspaceId: null }),
    ).resolves.toMatchObject({ ok: true });
    // Another user: not a member of the owner's workspace, and the run is not in theirs.
    await expect(
      authorizeRunStream(db.prisma, store, {
        userId: stranger.user.id,
        runId: run.id,
        workspaceId: owner.workspace.id,
      }),
    ).resolves.toMatchObject({ ok: false, status: 403 });
    await expect(
      authorizeRunStream(db.prisma, store, {
        userId: stranger.user.id,
        runId: run.id,
        workspaceId: stranger.workspace.id,
      }),
    ).resolves.toMatchObject({ ok: false, status: 404 });
    await expect(
      authorizeRunStream(db.prisma, store, {
        userId: stranger.user.id,
        runId: run.id,
        workspaceId: null,
      }),
    ).resolves.toMatchObject({ ok: false, status: 404 });
    await expect(
      authorizeRunStream(db.prisma, store, { ...q, runId: "nope", workspaceId: null }),
    ).resolves.toMatchObject({ ok: false, status: 400 });
    await api.run.cancel({ id: run.id });
  });

  it("streams events live, resumes after a seq, and ends with the run", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const wf = await api.workflow.create({ name: "Streamed", dsl: FLOW });
    const run = await api.run.start({ workflowId: wf.id, draft: true });
    const store = servicesFor(db).runs;
    const abort = new AbortController();
    const reader = runEventsStream(store, run.id, {
      afterSeq: 0,
      pollMs: 20,
      signal: abort.signal,
    }).getReader();
    const seen = await readUntil(reader, (m) =>
      m.some((x) => (x.data as { type?: string }).type === "step.waiting"),
    );
    expect(seen.every((m) => m.event === "run-event")).toBe(true);
    expect(seen.map((m) => Number(m.id))).toEqual(
      [...seen.map((m) => Number(m.id))].sort((a, b) => a - b),
    );
    await callerFor(db.prisma, approver.user, owner.workspace.id).run.resume({
      runId: run.id,
      stepId: "ok",
      decision: "approve",
    });
    await readUntil(reader, (m) => m.some((x) => x.event === "end"), seen);
    const end = seen.at(-1)!;
    expect(end).toMatchObject({ event: "end", data: { status: "succeeded" } });
    const types = seen
      .filter((m) => m.event === "run-event")
      .map((m) => (m.data as { type: string }).type);
    expect(types).toContain("step.resumed");
    expect(types.at(-1)).toBe("run.succeeded");
    // The stream closed itself.
    await expect(reader.read()).resolves.toMatchObject({ done: true });

    // A reconnect after a seq gets only the later events, then the end at once.
    const lastButOne = Number(seen.filter((m) => m.event === "run-event").at(-2)!.id);
    const again = await readUntil(
      runEventsStream(store, run.id, { afterSeq: lastButOne, pollMs: 20 }).getReader(),
      (m) => m.some((x) => x.event === "end"),
    );
    expect(again.map((m) => m.event)).toEqual(["run-event", "end"]);
    expect((again[0]!.data as { type: string }).type).toBe("run.succeeded");
    abort.abort();
  });
});
