"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const SECTIONS: { title: string; items: { href: string; label: string; match?: string[] }[] }[] = [
  {
    title: "Build",
    items: [
      { href: "/workflows", label: "Studio", match: ["/workflows", "/studio"] },
      { href: "/registry", label: "Registry" },
      { href: "/connectors", label: "Connectors" },
      { href: "/sandbox", label: "Sandbox" },
    ],
  },
  {
    title: "Operate",
    items: [
      { href: "/runs", label: "Runs" },
      { href: "/approvals", label: "Approvals" },
      { href: "/guardian", label: "Guardian" },
    ],
  },
  {
    title: "Govern",
    items: [
      { href: "/trust", label: "Trust" },
      { href: "/audit", label: "Audit" },
      { href: "/settings", label: "Settings" },
    ],
  },
];

export function SideNav() {
  const pathname = usePathname();
  const isActive = (prefixes: string[]) =>
    prefixes.some((p) => pathname === p || pathname.startsWith(`${p}/`));
  return (
    <nav aria-label="Main" className="flex flex-col gap-5 px-3 py-4">
      {SECTIONS.map((section) => (
        <div key={section.title}>
          <p className="px-2 pb-1 text-[11px] font-medium tracking-wide text-zinc-500 uppercase">
            {section.title}
          </p>
          <ul className="space-y-0.5">
            {section.items.map((item) => {
              const active = isActive(item.match ?? [item.href]);
              return (
                <li key={item.href}>
                  <Link
                    href={item.href}
                    aria-current={active ? "page" : undefined}
                    className={`block rounded-md px-2 py-1.5 text-sm ${
                      active
                        ? "bg-white font-medium text-zinc-900 shadow-sm ring-1 ring-zinc-200"
                        : "text-zinc-600 hover:bg-zinc-200/60 hover:text-zinc-900"
                    }`}
                  >
                    {item.label}
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
