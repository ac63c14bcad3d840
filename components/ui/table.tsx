import type { ReactNode, TdHTMLAttributes, ThHTMLAttributes } from "react";

export function Table({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="overflow-x-auto rounded-lg border border-zinc-200 bg-white">
      <table aria-label={label} className="w-full border-collapse text-sm">
        {children}
      </table>
    </div>
  );
}

export function Th({ className = "", ...rest }: ThHTMLAttributes<HTMLTableCellElement>) {
  return (
    <th
      scope="col"
      className={`border-b border-zinc-200 bg-zinc-50 px-3 py-2 text-left text-xs font-medium text-zinc-600 ${className}`}
      {...rest}
    />
  );
}

export function Td({ className = "", ...rest }: TdHTMLAttributes<HTMLTableCellElement>) {
  return (
    <td className={`border-b border-zinc-100 px-3 py-2 align-middle ${className}`} {...rest} />
  );
}

/**
 * A table head: the column names, then (unless `last` is null) a last column named only for
 * screen readers, e.g. the row actions.
 */
export function HeadRow({
  columns,
  last = "Actions",
}: {
  columns: string[];
  last?: string | null;
}) {
  return (
    <thead>
      <tr>
        {columns.map((c) => (
          <Th key={c}>{c}</Th>
        ))}
        {last !== null && (
          <Th>
            <span className="sr-only">{last}</span>
          </Th>
        )}
      </tr>
    </thead>
  );
}
