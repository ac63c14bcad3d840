import { describe, expect, it, vi } from "vitest";
import type { Db } from "@/server/domain/types";
import { readBoundedBody } from "@/server/http/read-bounded-body";

// The webhook handler proper is not what is tested here: it records what reached it.
const answered = vi.hoisted(() => [] as Array<{ body: string }>);
vi.mock("@/server/webhook-endpoint", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@/server/webhook-endpoint")>()),
  answerWebhook: async (r: { body: string }) => {
    answered.push({ body: r.body });
    return { status: 202, body: { bytes: Buffer.byteLength(r.body) } };
  },
}));
// tRPC without a database or a session: an anonymous caller.
vi.mock("@/server/trpc/context", () => ({
  WORKSPACE_HEADER: "x-trustflow-workspace",
  createContext: async () =>
    (await import("@/server/trpc/init")).createContextInner({
      db: {} as Db,
      user: null,
      workspaceId: null,
    }),
}));

const { POST: hooksPost } = await import("@/app/api/hooks/[workspace]/[flow]/route");
const trpc = await import("@/app/api/trpc/[trpc]/route");
const { MAX_WEBHOOK_BODY_BYTES } = await import("@/server/webhook-endpoint");
const TRPC_LIMIT = 2 * 1024 * 1024;

const CHUNK = 64 * 1024;

/**
 * An endless upload (as a chunked body without Content-Length would arrive), pulled one chunk at
 * a time: how many bytes the server pulled and whether it cancelled the stream.
 */
function endlessUpload() {
  const seen = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(c) {
        seen.pulled += CHUNK;
        c.enqueue(new Uint8Array(CHUNK).fill(0x20));
      },
      cancel() {
        seen.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, seen };
}

/** A finite body sent in chunks, without Content-Length. */
function chunked(text: string) {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(c) {
        if (at >= bytes.length) return c.close();
        c.enqueue(bytes.slice(at, at + 7));
        at += 7;
      },
    },
    { highWaterMark: 0 },
  );
}

const post = (url: string, body: ReadableStream<Uint8Array> | string, headers = {}) =>
  new Request(url, {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      origin: "http://localhost:3000",
      "sec-fetch-site": "same-origin",
      ...headers,
    },
    duplex: "half",
  } as RequestInit);

const hookCtx = { params: Promise.resolve({ workspace: "acme", flow: "order-hook" }) };
const HOOK_URL = "http://localhost:3000/api/hooks/acme/order-hook";

describe("chunked body", () => {
  it("webhook route: an endless chunked upload is cut off at the limit with 413 naming it", async () => {
    const { stream, seen } = endlessUpload();
    const res = await hooksPost(post(HOOK_URL, stream), hookCtx);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: `Request body too large (limit ${MAX_WEBHOOK_BODY_BYTES} bytes).`,
    });
    // The reader stopped: the source was cancelled after at most the limit and one chunk.
    expect(seen.cancelled).toBe(true);
    expect(seen.pulled).toBeLessThanOrEqual(MAX_WEBHOOK_BODY_BYTES + CHUNK);
    expect(answered).toEqual([]);
  });

  it("webhook route: a declared Content-Length above the limit is refused before reading", async () => {
    const { stream, seen } = endlessUpload();
    const res = await hooksPost(
      post(HOOK_URL, stream, { "content-length": String(100 * 1024 * 1024) }),
      hookCtx,
    );
    expect(res.status).toBe(413);
    expect(seen.pulled).toBeLessThanOrEqual(CHUNK);
    expect(answered).toEqual([]);
  });

  it("webhook route: a chunked body within the limit arrives whole", async () => {
    const text = JSON.stringify({ amount: 21, note: "é".repeat(100) });
    const res = await hooksPost(post(HOOK_URL, chunked(text)), hookCtx);
    expect(res.status).toBe(202);
    expect(answered).toEqual([{ body: text }]);
  });

  it("tRPC route: an endless chunked upload is cut off at the limit with 413 naming it", async () => {
    const { stream, seen } = endlessUpload();
    const res = await trpc.POST(post("http://localhost:3000/api/trpc/auth.signUp", stream));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({
      error: { message: `Request body too large (limit ${TRPC_LIMIT} bytes).` },
    });
    expect(seen.cancelled).toBe(true);
    expect(seen.pulled).toBeLessThanOrEqual(TRPC_LIMIT + CHUNK);
  });

  it("tRPC route: a chunked body within the limit reaches the procedure; GET batching works", async () => {
    // A sign-up with a malformed email: tRPC parsed the counted body and checked its fields.
    const res = await trpc.POST(
      post(
        "http://localhost:3000/api/trpc/auth.signUp",
        chunked(JSON.stringify({ json: { email: "nope", name: "x", password: "y" } })),
      ),
    );
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/email/);
    const input = encodeURIComponent(JSON.stringify({ 0: { json: null }, 1: { json: null } }));
    const batch = await trpc.GET(
      new Request(`http://localhost:3000/api/trpc/auth.me,auth.me?batch=1&input=${input}`),
    );
    expect(batch.status).toBe(200);
    expect(await batch.json()).toEqual([
      { result: { data: { json: null } } },
      { result: { data: { json: null } } },
    ]);
  });

  it("the reader holds at most the limit: a body of exactly the limit passes, one byte more does not", async () => {
    const limit = 10;
    const ok = await readBoundedBody(post(HOOK_URL, chunked("x".repeat(limit))), limit);
    expect(ok.ok && ok.text()).toBe("x".repeat(limit));
    const over = await readBoundedBody(post(HOOK_URL, chunked("x".repeat(limit + 1))), limit);
    expect(over.ok).toBe(false);
    if (!over.ok) expect(over.response.status).toBe(413);
  });
});
