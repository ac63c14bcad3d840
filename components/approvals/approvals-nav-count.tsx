/** The navigation's words for `n` pending decisions the signed-in person may decide. */
export function navCountLabel(label: string, n: number): string {
  return n > 0 ? `${label} (${n} waiting for you)` : label;
}

/**
 * The count next to "Approvals" in the navigation: a pill, or a dot with the number on the
 * glyph when the navigation is collapsed (the link's label then carries the count). Nothing for 0.
 */
export function ApprovalsNavCount({ n, collapsed }: { n: number; collapsed: boolean }) {
  if (n <= 0) return null;
  return (
    <>
      <span
        aria-hidden
        data-testid="approvals-nav-count"
        className={
          collapsed
            ? "absolute -top-1 right-0 min-w-4 rounded-full bg-accent-600 px-1 text-center text-[10px] leading-4 font-semibold text-white"
            : "ml-auto min-w-5 rounded-full bg-accent-600 px-1.5 text-center text-[11px] leading-5 font-semibold text-white"
        }
      >
        {n > 99 ? "99+" : n}
      </span>
      {!collapsed && <span className="sr-only"> ({n} waiting for you)</span>}
    </>
  );
}
