import type { IncomingMessage, ServerResponse } from "node:http";

/** Headers of every JSON answer `scripts/serve.mjs` writes itself. */
export declare const JSON_ANSWER_HEADERS: Readonly<Record<string, string>>;

/** Why a request target cannot be served (malformed percent-encoding), or null. */
export declare function malformedRequestTarget(target: string | undefined): string | null;

/** Writes a JSON answer with the server's own headers (and `extra`). */
export declare function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  extra?: Record<string, string | number>,
): void;

/** Answers 400 and returns true when the request's target does not percent-decode. */
export declare function refuseMalformedRequest(req: IncomingMessage, res: ServerResponse): boolean;

/** The body counted as it arrives, or null past `limit` bytes. */
export declare function readCountedBody(
  req: IncomingMessage,
  limit: number,
  drainLimit?: number,
): Promise<Buffer | null>;
