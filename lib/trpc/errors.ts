import { TRPCClientError } from "@trpc/client";
import type { AppRouter } from "./types";

export interface FormErrors {
  /** The server's message, shown above the form (domain errors, forbidden, rate limits...). */
  message: string | null;
  /** Messages per input field: zod's `fieldErrors`, plus the field a domain error names. */
  fields: Record<string, string[]>;
}

export const NO_ERRORS: FormErrors = { message: null, fields: {} };

/**
 * Turns a tRPC error into what a form shows: zod failures field by field, and domain errors
 * (`data.field`, e.g. "An account with this email already exists") next to the field they name.
 */
export function formErrors(error: unknown): FormErrors {
  if (!error) return NO_ERRORS;
  if (!(error instanceof TRPCClientError)) {
    return { message: error instanceof Error ? error.message : String(error), fields: {} };
  }
  const err = error as TRPCClientError<AppRouter>;
  const fields: Record<string, string[]> = {};
  const zodFields = err.data?.zodError?.fieldErrors as
    Record<string, string[] | undefined> | undefined;
  for (const [k, v] of Object.entries(zodFields ?? {})) if (v?.length) fields[k] = v;
  const field = err.data?.field;
  if (field) {
    fields[field] = [...(fields[field] ?? []), err.message];
    return { message: null, fields };
  }
  // A validation failure is fully explained by its field errors; zod's raw JSON message is not.
  if (Object.keys(fields).length > 0) return { message: null, fields };
  return { message: err.message, fields };
}

/** The message of any error, for inline alerts. */
export function errorMessage(error: unknown): string | null {
  if (!error) return null;
  const f = formErrors(error);
  return f.message ?? Object.values(f.fields).flat()[0] ?? "Something went wrong.";
}

export function isUnauthorized(error: unknown): boolean {
  return error instanceof TRPCClientError && error.data?.code === "UNAUTHORIZED";
}

/** 4xx answers (bad input, forbidden, not found...) will not change on retry. */
export function isClientError(error: unknown): boolean {
  const status = error instanceof TRPCClientError ? error.data?.httpStatus : undefined;
  return typeof status === "number" && status >= 400 && status < 500;
}
