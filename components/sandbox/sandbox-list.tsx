"use client";

import type { FormEvent, ReactNode } from "react";
import { errorMessage } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { HeadRow, Table, Td } from "@/components/ui/table";

/**
 * Pieces the Sandbox page's panels (datasets, sessions, scripted models) share: a query's
 * loading / error / empty states, a table head with a hidden actions column, the Open/Hide toggle
 * of a list with one selected item, the list's section with an optional filter checkbox, and the
 * shell of a "create" form.
 */

/** Loading text, the error, `empty` for no items, or `children(items)`. */
export function QueryList<T>({
  query,
  loading,
  empty,
  children,
}: {
  query: { isPending: boolean; error: unknown; data: readonly T[] | undefined };
  loading: string;
  empty: ReactNode;
  children: (items: readonly T[]) => ReactNode;
}) {
  if (query.isPending) return <p className="text-sm text-zinc-500">{loading}</p>;
  if (query.error) return <Alert tone="error">{errorMessage(query.error)}</Alert>;
  const items = query.data ?? [];
  if (items.length === 0) return <p className="text-sm text-zinc-600">{empty}</p>;
  return <>{children(items)}</>;
}

/** The last cell of a selectable row: Open (select it) or Hide (clear the selection). */
function OpenToggleCell({
  label,
  id,
  selected,
  onSelect,
}: {
  label: string;
  id: string;
  selected: string | null;
  onSelect: (id: string | null) => void;
}) {
  return (
    <Td className="text-right">
      <Button
        size="sm"
        variant="ghost"
        aria-label={label}
        onClick={() => onSelect(id === selected ? null : id)}
      >
        {id === selected ? "Hide" : "Open"}
      </Button>
    </Td>
  );
}

/**
 * A table of items, the selected one marked, each row's cells then its last cell: with `open`,
 * the Open/Hide toggle of the selection; else `action(item)`.
 */
export function SelectableTable<T extends { id: string }>({
  label,
  columns,
  items,
  selected,
  cells,
  open,
  action,
}: {
  label: string;
  columns: string[];
  items: readonly T[];
  selected: string | null;
  cells: (item: T) => ReactNode;
  open?: { label: (item: T) => string; onSelect: (id: string | null) => void };
  action?: (item: T) => ReactNode;
}) {
  return (
    <Table label={label}>
      <HeadRow columns={columns} />
      <tbody>
        {items.map((item) => (
          <tr key={item.id} className={item.id === selected ? "bg-accent-50" : ""}>
            {cells(item)}
            {open ? (
              <OpenToggleCell
                label={open.label(item)}
                id={item.id}
                selected={selected}
                onSelect={open.onSelect}
              />
            ) : (
              <Td className="text-right">{action?.(item)}</Td>
            )}
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

/** A list's section: its heading, an optional filter checkbox, and the list. */
export function ListSection({
  headingId,
  title,
  filter,
  children,
}: {
  headingId: string;
  title: string;
  filter?: { label: string; checked: boolean; onChange: (checked: boolean) => void };
  children: ReactNode;
}) {
  const heading = (
    <h2 id={headingId} className="text-sm font-semibold">
      {title}
    </h2>
  );
  return (
    <section aria-labelledby={headingId} className="space-y-2">
      {filter ? (
        <div className="flex items-center justify-between">
          {heading}
          <label className="flex items-center gap-1.5 text-xs text-zinc-600">
            <input
              type="checkbox"
              checked={filter.checked}
              onChange={(e) => filter.onChange(e.target.checked)}
            />
            {filter.label}
          </label>
        </div>
      ) : (
        heading
      )}
      {children}
    </section>
  );
}

/**
 * A "create" (or "run") form: a one-line grid of fields, the submit button, the error across the
 * grid; boxed unless `boxed` is false. With `canEdit` false, `readOnly` instead.
 */
export function CreateForm({
  canEdit = true,
  readOnly,
  boxed = true,
  label,
  grid,
  span,
  submit,
  pending,
  error,
  onSubmit,
  children,
}: {
  canEdit?: boolean;
  readOnly?: ReactNode;
  boxed?: boolean;
  label: string;
  /** The grid's column template class, e.g. `grid-cols-[1fr_16rem_auto]`. */
  grid: string;
  /** The error's column span class, e.g. `col-span-3`. */
  span: string;
  submit: string;
  pending: boolean;
  error: string | null | undefined;
  onSubmit: () => void;
  children: ReactNode;
}) {
  if (!canEdit) return <p className="text-sm text-zinc-600">{readOnly}</p>;
  return (
    <form
      aria-label={label}
      noValidate
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        onSubmit();
      }}
      className={`grid ${grid} items-start gap-3${boxed ? " rounded-lg border border-zinc-200 bg-white p-3" : ""}`}
    >
      {children}
      <Button type="submit" variant="primary" className="mt-5" pending={pending}>
        {submit}
      </Button>
      {error && (
        <Alert tone="error" className={span}>
          {error}
        </Alert>
      )}
    </form>
  );
}

/** A select's options for named items (a flow, a session…), after `empty` when given. */
export function NamedOptions({
  items,
  empty,
}: {
  items: readonly { id: string; name: string }[];
  empty?: string | undefined;
}) {
  return (
    <>
      {empty !== undefined && <option value="">{empty}</option>}
      {items.map((i) => (
        <option key={i.id} value={i.id}>
          {i.name}
        </option>
      ))}
    </>
  );
}
