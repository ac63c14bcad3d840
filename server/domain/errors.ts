/** Domain error codes; `server/trpc/errors.ts` maps each to a tRPC code (checked by the compiler). */
export type AppErrorCode =
  | "NOT_FOUND"
  | "FORBIDDEN"
  | "UNAUTHENTICATED"
  | "CONFLICT"
  | "INVALID_INPUT"
  | "RATE_LIMITED"
  | "PRECONDITION_FAILED";

export class AppError extends Error {
  override name = "AppError";
  readonly code: AppErrorCode;
  /** A message safe to show to the user; defaults to `message`. */
  readonly userMessage: string;
  readonly details?: Record<string, unknown>;

  constructor(
    code: AppErrorCode,
    opts: {
      message: string;
      userMessage?: string;
      cause?: unknown;
      details?: Record<string, unknown>;
    },
  ) {
    super(opts.message, { cause: opts.cause });
    this.code = code;
    this.userMessage = opts.userMessage ?? opts.message;
    this.details = opts.details;
  }
}

export const notFound = (what: string) =>
  new AppError("NOT_FOUND", { message: `${what} was not found in this workspace.` });
