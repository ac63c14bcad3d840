"use client";

import Link from "next/link";
import type { ReactNode } from "react";
import { errorMessage } from "@/lib/trpc/errors";
import { useCurrentWorkspace } from "@/lib/trpc/hooks";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { buttonClass } from "@/components/ui/button";
import { SideNav } from "./side-nav";
import { WorkspaceSwitcher } from "./workspace-switcher";

/** The frame of every signed-in page: navigation on the left, workspace and user on top. */
export function StudioShell({
  user,
  children,
}: {
  user: { name: string; email: string };
  children: ReactNode;
}) {
  const current = useCurrentWorkspace();
  return (
    <div className="flex min-h-screen">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-1.5 focus:text-sm focus:shadow"
      >
        Skip to content
      </a>
      <aside className="sticky top-0 flex h-screen w-52 shrink-0 flex-col border-r border-zinc-200 bg-zinc-100/70">
        <Link
          href="/workflows"
          className="flex h-12 items-center gap-2 border-b border-zinc-200 px-5 text-sm font-semibold tracking-tight"
        >
          <span
            aria-hidden
            className="grid size-6 place-items-center rounded bg-accent-600 text-xs font-bold text-white"
          >
            T
          </span>
          Trustflow
        </Link>
        <SideNav />
      </aside>
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="sticky top-0 z-10 flex h-12 items-center justify-between gap-4 border-b border-zinc-200 bg-white/90 px-6 backdrop-blur">
          <WorkspaceSwitcher />
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
