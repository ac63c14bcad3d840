"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import type { CSSProperties, ReactNode } from "react";
import { errorMessage } from "@/lib/trpc/errors";
import { useCurrentWorkspace } from "@/lib/trpc/hooks";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { buttonClass } from "@/components/ui/button";
import { NotificationBell } from "@/components/notifications/notification-bell";
import { CommandPalette } from "@/components/search/command-palette";
import { SideNav } from "./side-nav";
import { usePersistedToggle } from "./use-persisted-toggle";
import { WorkspaceSwitcher } from "./workspace-switcher";

/** Widths of the navigation, expanded and collapsed (`--nav-w`, which the studio lays out by). */
const NAV_WIDTH = { expanded: "13rem", collapsed: "3.5rem" };

/**
 * The frame of every signed-in page: navigation on the left, workspace and user on top. The
 * navigation collapses to glyphs; the user's choice is kept. Until they choose, it is collapsed
 * in the studio (which needs the width) and expanded elsewhere.
 */
export function StudioShell({
  user,
  children,
}: {
  user: { name: string; email: string };
  children: ReactNode;
}) {
  const current = useCurrentWorkspace();
  const pathname = usePathname();
  const [chosen, setCollapsed] = usePersistedToggle("trustflow.nav.collapsed");
  const collapsed = chosen ?? pathname.startsWith("/studio/");
  return (
    <div
      className="flex min-h-screen"
      style={{ "--nav-w": collapsed ? NAV_WIDTH.collapsed : NAV_WIDTH.expanded } as CSSProperties}
      data-nav={collapsed ? "collapsed" : "expanded"}
    >
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-1.5 focus:text-sm focus:shadow"
      >
        Skip to content
      </a>
      <aside className="sticky top-0 flex h-screen w-[var(--nav-w)] shrink-0 flex-col border-r border-zinc-200 bg-zinc-100/70">
        <Link
          href="/workflows"
          aria-label={collapsed ? "Trustflow" : undefined}
          className={`flex h-12 items-center gap-2 border-b border-zinc-200 text-sm font-semibold tracking-tight ${collapsed ? "justify-center" : "px-5"}`}
        >
          <span
            aria-hidden
            className="grid size-6 place-items-center rounded bg-accent-600 text-xs font-bold text-white"
          >
            T
          </span>
          {!collapsed && "Trustflow"}
        </Link>
        <div className="min-h-0 flex-1 overflow-y-auto">
          <SideNav collapsed={collapsed} />
        </div>
        <button
          type="button"
          onClick={() => setCollapsed(!collapsed)}
          aria-expanded={!collapsed}
          aria-label={collapsed ? "Expand navigation" : "Collapse navigation"}
          title={collapsed ? "Expand navigation" : "Collapse navigation"}
          className={`flex h-10 items-center gap-2 border-t border-zinc-200 text-xs text-zinc-600 hover:bg-zinc-200/60 hover:text-zinc-900 ${collapsed ? "justify-center" : "px-5"}`}
        >
          <span aria-hidden>{collapsed ? "»" : "«"}</span>
          {!collapsed && "Collapse"}
        </button>
      </aside>
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="sticky top-0 z-10 flex h-12 items-center justify-between gap-4 border-b border-zinc-200 bg-white/90 px-6 backdrop-blur">
          <WorkspaceSwitcher />
          <div className="flex items-center gap-3">
            <CommandPalette />
            <NotificationBell />
            <div className="flex items-center gap-3 text-sm" data-testid="current-user">
              <div className="text-right leading-tight">
                <div className="font-medium text-zinc-900">{user.name || user.email}</div>
                <div className="text-xs text-zinc-500">{user.email}</div>
              </div>
              {current.data && (
                <Badge tone={current.data.role === "admin" ? "accent" : "neutral"}>
                  <span className="sr-only">Role: </span>
                  {current.data.role}
                </Badge>
              )}
              <Link href="/sign-out" className={buttonClass("ghost", "sm")}>
                Sign out
              </Link>
            </div>
          </div>
        </header>
        <main id="main" className="mx-auto w-full max-w-6xl flex-1 px-6 py-6">
          {current.error && (
            <Alert tone="error" className="mb-4">
              {errorMessage(current.error)}
            </Alert>
          )}
          {children}
        </main>
      </div>
    </div>
  );
}
