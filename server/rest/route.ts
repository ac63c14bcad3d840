/**
 * What a REST operation declares about itself: method and path, the role and API token scope it
 * needs, its schemas (the OpenAPI document is generated from them), whether it decides an
 * approval (`approves`: the four-eyes test walks every such route), and its handler, which maps
 * the REST shape to one domain use case.
 */
import type { z } from "zod";
import type { Actor, Db, Role, TokenScope } from "@/server/domain/types";
import type { Services } from "@/server/wiring/services";
import type { FieldError } from "./problem";

/** Where the API is mounted. */
export const API_BASE = "/api/v1";

export type RestMethod = "GET" | "POST";
export type RestTag = "Workflows" | "Runs" | "Approvals" | "Dead letters" | "Trust" | "Guardian";

/** What a handler receives: the authorized actor, its services, and the validated request. */
export interface RestCall<P, Q, B> {
  actor: Actor;
  db: Db;
  services: Services;
  path: P;
  query: Q;
  body: B;
}

export interface RestResult {
  status?: number;
  body: unknown;
  /** A created resource's path under `/api/v1` (the `Location` header). */
  location?: string;
}

export interface RestRoute<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> {
  operationId: string;
  method: RestMethod;
  /** Under `/api/v1`, with `{name}` parameters: `/runs/{id}`. */
  path: string;
  tag: RestTag;
  summary: string;
  description: string;
  /** The least workspace role of the caller (for a token: of its creator). */
  role: Role;
  /** The API token scope it needs (`admin` implies every scope). */
  scope: TokenScope;
  /** Decides an approval: walked by the four-eyes test (`server/trpc/four-eyes.int.test.ts`). */
  approves?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  success: { status: 200 | 201 | 202; description: string; schema: z.ZodType };
  /** The problem statuses it may answer besides 401, 403 and 500 (every operation has those). */
  problems: readonly number[];
  handle(call: RestCall<z.output<P>, z.output<Q>, z.output<B>>): Promise<RestResult>;
}

/** Declares a route with its handler's types inferred from its schemas. */
export function defineRoute<
  P extends z.ZodType = z.ZodType<Record<string, never>>,
  Q extends z.ZodType = z.ZodType<Record<string, never>>,
  B extends z.ZodType = z.ZodType<undefined>,
>(route: RestRoute<P, Q, B>): RestRoute {
  return route as unknown as RestRoute;
}

/** A request that does not match its schema, found by a handler (a cursor, a mapped input). */
export class RestInputError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(errors[0]?.detail ?? "Bad input.");
  }
}
