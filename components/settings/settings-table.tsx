import type { ReactNode } from "react";
import { errorMessage } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Table, Th } from "@/components/ui/table";

export interface SettingsColumn {
  /** The header text. */
  label: string;
  className?: string;
}

/** What the table shows while its query loads or fails, and when it has no rows. */
export interface SettingsTableQuery {
  isPending: boolean;
  error: unknown;
  data?: readonly unknown[];
}

/**
 * A settings list: the error of the last row action, then the loading line, the query's error,
 * the empty text (when given) or the table with its header and the caller's rows.
 */
export function SettingsTable({
  label,
  columns,
  actions = false,
  query,
  loadingText,
  emptyText,
  actionError,
  children,
}: {
  /** Accessible name of the table. */
  label: string;
  columns: readonly SettingsColumn[];
  /** Adds a last, unlabelled column for the rows' actions. */
  actions?: boolean;
  query?: SettingsTableQuery;
  loadingText?: string;
  /** Shown instead of an empty table; without it an empty table shows its header. */
  emptyText?: string;
  /** The error of a row action (remove, revoke...), shown above the list. */
  actionError?: unknown;
  /** The rows (`<tr>`). */
  children: ReactNode;
}) {
  return (
    <>
      {actionError ? <Alert tone="error">{errorMessage(actionError)}</Alert> : null}
      {query?.isPending ? (
        <p className="text-sm text-zinc-500">{loadingText}</p>
      ) : query?.error ? (
        <Alert tone="error">{errorMessage(query.error)}</Alert>
      ) : emptyText !== undefined && query?.data?.length === 0 ? (
        <p className="text-sm text-zinc-600">{emptyText}</p>
      ) : (
        <Table label={label}>
          <thead>
            <tr>
              {columns.map((c) => (
                <Th key={c.label} className={c.className}>
                  {c.label}
                </Th>
              ))}
              {actions && (
                <Th className="w-24">
                  <span className="sr-only">Actions</span>
                </Th>
              )}
            </tr>
          </thead>
          <tbody>{children}</tbody>
        </Table>
      )}
    </>
  );
}
