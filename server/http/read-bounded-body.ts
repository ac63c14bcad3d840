/**
 * Reading a request body within a byte limit, counted as the bytes stream in: a chunked body
 * (no `Content-Length`) or one whose `Content-Length` lies is cut off at the limit like any
 * other. At most the limit plus one chunk of the stream is ever held; past the limit the source
 * stream is cancelled (the client's upload is not read any further) and the caller answers 413.
 */

/** The body, read completely within the limit, or the 413 answer to send instead. */
export type BoundedBody =
  | { ok: true; bytes: Uint8Array<ArrayBuffer>; text: () => string }
  | { ok: false; limit: number; response: Response };

/** Options of {@link readBoundedBody}. */
export interface ReadBoundedBodyOptions {
  /** Shapes the 413 answer; default `{ "error": message }` as JSON. */
  answer?: (message: string, limit: number) => Response;
}

/** The message of a refused body: it names the limit. */
export function bodyTooLargeMessage(limit: number): string {
  return `Request body too large (limit ${limit} bytes).`;
}

const defaultAnswer = (message: string) =>
  Response.json(
    { error: message },
    { status: 413, headers: { "cache-control": "no-store", "x-content-type-options": "nosniff" } },
  );

/**
 * Reads `req`'s body, at most `limit` bytes. A declared `Content-Length` above the limit is
 * refused before reading anything; otherwise bytes are counted chunk by chunk and the stream is
 * cancelled as soon as they pass the limit.
 */
export async function readBoundedBody(
  req: Request,
  limit: number,
  opts: ReadBoundedBodyOptions = {},
): Promise<BoundedBody> {
  const refuse = (): BoundedBody => ({
    ok: false,
    limit,
    response: (opts.answer ?? defaultAnswer)(bodyTooLargeMessage(limit), limit),
  });
  const declared = Number(req.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > limit) {
    await req.body?.cancel().catch(() => undefined);
    return refuse();
  }
  const bytes = await readStream(req.body, limit);
  if (!bytes) return refuse();
  return { ok: true, bytes, text: () => new TextDecoder().decode(bytes) };
}

/**
 * Reads a byte stream to its end, or cancels it once more than `limit` bytes came: the bytes,
 * or null when the limit was passed. Empty (no stream): zero bytes.
 */
export async function readStream(
  stream: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<Uint8Array<ArrayBuffer> | null> {
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        // Stop the upload here: nothing more is pulled from the client.
        await reader.cancel(new Error(bodyTooLargeMessage(limit))).catch(() => undefined);
        return null;
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
