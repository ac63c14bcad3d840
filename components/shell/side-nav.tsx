"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { ApprovalsNavCount, navCountLabel } from "@/components/approvals/approvals-nav-count";
import { useApprovalCount } from "@/components/approvals/use-approvals";

const SECTIONS: {
  title: string;
  items: { href: string; label: string; glyph: string; match?: string[] }[];
}[] = [
  {
    title: "Build",
    items: [
      { href: "/workflows", label: "Studio", glyph: "✎", match: ["/workflows", "/studio"] },
      { href: "/registry", label: "Registry", glyph: "▦" },
      { href: "/connectors", label: "Connectors", glyph: "⇄" },
      { href: "/sandbox", label: "Sandbox", glyph: "▣" },
    ],
  },
  {
    title: "Operate",
    items: [
      { href: "/runs", label: "Runs", glyph: "▶" },
      { href: "/operations", label: "Operations", glyph: "▤" },
      { href: "/approvals", label: "Approvals", glyph: "✓" },
      { href: "/dead-letters", label: "Dead letters", glyph: "✉" },
      { href: "/guardian", label: "Guardian", glyph: "◈" },
    ],
  },
  {
    title: "Govern",
    items: [
      { href: "/trust", label: "Trust", glyph: "◎" },
      { href: "/audit", label: "Audit", glyph: "☰" },
      { href: "/settings", label: "Settings", glyph: "⚙" },
    ],
  },
];

/** The main navigation; `collapsed` shows each entry as a glyph (its name as label and tooltip). */
export function SideNav({ collapsed = false }: { collapsed?: boolean }) {
  const pathname = usePathname();
  // Pending decisions the signed-in person may decide: the count next to "Approvals".
  const forMe = useApprovalCount().data?.forMe ?? 0;
  const isActive = (prefixes: string[]) =>
    prefixes.some((p) => pathname === p || pathname.startsWith(`${p}/`));
  return (
    <nav
      aria-label="Main"
      className={`flex flex-col ${collapsed ? "gap-3 px-2 py-3" : "gap-5 px-3 py-4"}`}
    >
      {SECTIONS.map((section) => (
        <div key={section.title}>
          {collapsed ? (
            <hr className="mx-1 mb-2 border-zinc-200" aria-hidden />
          ) : (
            <p className="px-2 pb-1 text-[11px] font-medium tracking-wide text-zinc-600 uppercase">
              {section.title}
            </p>
          )}
          <ul className="space-y-0.5">
            {section.items.map((item) => {
              const active = isActive(item.match ?? [item.href]);
              const count = item.href === "/approvals" ? forMe : 0;
              return (
                <li key={item.href}>
                  <Link
                    href={item.href}
                    aria-current={active ? "page" : undefined}
                    aria-label={collapsed ? navCountLabel(item.label, count) : undefined}
                    title={collapsed ? navCountLabel(item.label, count) : undefined}
                    className={`rounded-md py-1.5 text-sm ${collapsed ? "relative block text-center" : "flex items-center gap-2 px-2"} ${
                      active
                        ? "bg-white font-medium text-zinc-900 shadow-sm ring-1 ring-zinc-200"
                        : "text-zinc-600 hover:bg-zinc-200/60 hover:text-zinc-900"
                    }`}
                  >
                    {collapsed ? <span aria-hidden>{item.glyph}</span> : item.label}
                    <ApprovalsNavCount n={count} collapsed={collapsed} />
                  </Link>
                </li>
              );
            })}
          </ul>
        </div>
      ))}
    </nav>
  );
}
