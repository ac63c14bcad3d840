import Link from "next/link";

export interface SandboxTab {
  id: string;
  label: string;
}

/** The Sandbox page's tabs: links that set `?tab=`, so a tab can be linked to and reloaded. */
export function SandboxTabs({ tabs, current }: { tabs: readonly SandboxTab[]; current: string }) {
  return (
    <nav aria-label="Sandbox" className="mb-4 flex gap-1 border-b border-zinc-200">
      {tabs.map((t) => (
        <Link
          key={t.id}
          href={`/sandbox?tab=${t.id}`}
          aria-current={current === t.id ? "page" : undefined}
          className={`-mb-px border-b-2 px-3 py-1.5 text-sm ${
            current === t.id
              ? "border-accent-600 font-medium text-zinc-900"
              : "border-transparent text-zinc-600 hover:text-zinc-900"
          }`}
        >
          {t.label}
        </Link>
      ))}
    </nav>
  );
}
