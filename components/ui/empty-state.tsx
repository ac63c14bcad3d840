import type { ReactNode } from "react";

/** An honest placeholder: what the area will do and which capability brings it. No fake data. */
export function EmptyState({
  title,
  children,
  action,
}: {
  title: string;
  children?: ReactNode;
  action?: ReactNode;
}) {
  return (
    <div className="rounded-lg border border-dashed border-zinc-300 bg-white px-6 py-12 text-center">
      <h2 className="text-sm font-semibold text-zinc-900">{title}</h2>
      {children && <div className="mx-auto mt-1.5 max-w-md text-sm text-zinc-600">{children}</div>}
      {action && <div className="mt-4 flex justify-center">{action}</div>}
    </div>
  );
}
