"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useId, useRef, useState } from "react";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";

/** The bell's words for `n` unread notifications. */
export function bellLabel(n: number): string {
  return n > 0 ? `Notifications (${n >= 100 ? "99+" : n} unread)` : "Notifications";
}

const PAGE = 20;

/**
 * The shell's bell: the unread count (polled every 30 seconds and on focus), and a panel with
 * the newest notifications (approval requests, escalations, decisions, expiries). Opening a
 * notification marks it read; "Mark all read" clears the count. Escape or a click outside closes
 * the panel and gives the focus back to the bell.
 */
export function NotificationBell() {
  const trpc = useTRPC();
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const button = useRef<HTMLButtonElement>(null);
  const root = useRef<HTMLDivElement>(null);
  const unread = useQuery({
    ...trpc.notification.unreadCount.queryOptions(),
    refetchInterval: 30_000,
    refetchOnWindowFocus: "always",
  }).data?.unread;
  const n = unread ?? 0;

  const close = (focusBell: boolean) => {
    setOpen(false);
    if (focusBell) button.current?.focus();
  };

  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (root.current && !root.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, [open]);

  return (
    <div
      ref={root}
      className="relative"
      onKeyDown={(e) => {
        if (e.key === "Escape" && open) {
          e.stopPropagation();
          close(true);
        }
      }}
    >
      <button
        ref={button}
        type="button"
        data-testid="notification-bell"
        aria-label={bellLabel(n)}
        title={bellLabel(n)}
        aria-expanded={open}
        aria-controls={open ? panelId : undefined}
        aria-haspopup="dialog"
        onClick={() => setOpen(!open)}
        className="relative grid size-8 place-items-center rounded-md text-zinc-600 hover:bg-zinc-100 hover:text-zinc-900 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-accent-600"
      >
        <svg aria-hidden viewBox="0 0 20 20" className="size-5" fill="none" stroke="currentColor">
          <path
            strokeWidth="1.5"
            strokeLinecap="round"
            strokeLinejoin="round"
            d="M10 2.75a4.75 4.75 0 0 0-4.75 4.75v2.6L3.8 13.2h12.4l-1.45-3.1V7.5A4.75 4.75 0 0 0 10 2.75ZM8 15.5a2 2 0 0 0 4 0"
          />
        </svg>
        {n > 0 && (
          <span
            aria-hidden
            data-testid="notification-count"
            className="absolute -top-0.5 -right-0.5 min-w-4 rounded-full bg-accent-600 px-1 text-center text-[10px] leading-4 font-semibold text-white"
          >
            {n >= 100 ? "99+" : n}
          </span>
        )}
      </button>
      {open && <NotificationPanel id={panelId} onNavigate={() => close(false)} />}
    </div>
  );
}

function NotificationPanel({ id, onNavigate }: { id: string; onNavigate: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const headingId = `${id}-heading`;
  const heading = useRef<HTMLHeadingElement>(null);
  const [limit, setLimit] = useState(PAGE);
  const list = useQuery(trpc.notification.list.queryOptions({ limit }));
  const refresh = () => queryClient.invalidateQueries(trpc.notification.pathFilter());
  const markRead = useMutation(trpc.notification.markRead.mutationOptions({ onSuccess: refresh }));
  const markAll = useMutation(
    trpc.notification.markAllRead.mutationOptions({ onSuccess: refresh }),
  );
  useEffect(() => heading.current?.focus(), []);
  const items = list.data?.items ?? [];
  const anyUnread = items.some((i) => !i.read);

  return (
    <div
      id={id}
      role="dialog"
      aria-labelledby={headingId}
      data-testid="notification-panel"
      className="absolute right-0 z-20 mt-2 w-96 max-w-[calc(100vw-2rem)] rounded-lg border border-zinc-200 bg-white shadow-lg"
    >
      <div className="flex items-center justify-between gap-2 border-b border-zinc-200 px-4 py-2.5">
        <h2
          id={headingId}
          ref={heading}
          tabIndex={-1}
          className="text-sm font-semibold outline-none"
        >
          Notifications
        </h2>
        <Button
          size="sm"
          variant="ghost"
          disabled={!anyUnread}
          pending={markAll.isPending}
          onClick={() => markAll.mutate()}
        >
          Mark all read
        </Button>
      </div>
      {list.error ? (
        <Alert tone="error" className="m-3">
          {errorMessage(list.error)}
        </Alert>
      ) : list.isPending ? (
        <p className="px-4 py-6 text-sm text-zinc-500">Loading notifications…</p>
      ) : items.length === 0 ? (
        <p className="px-4 py-6 text-sm text-zinc-600">
          Nothing yet. Requests you may decide, escalations and decisions on your requests appear
          here.
        </p>
      ) : (
        <ul className="max-h-96 divide-y divide-zinc-100 overflow-y-auto" aria-label="Newest first">
          {items.map((item) => {
            const content = (
              <>
                <span className="flex items-start gap-2">
                  <span
                    aria-hidden
                    className={`mt-1.5 size-2 shrink-0 rounded-full ${item.read ? "bg-transparent" : "bg-accent-600"}`}
                  />
                  <span className="min-w-0">
                    <span
                      className={`block text-sm ${item.read ? "text-zinc-700" : "font-medium text-zinc-900"}`}
                    >
                      {!item.read && <span className="sr-only">Unread: </span>}
                      {item.title}
                    </span>
                    {item.body && (
                      <span className="mt-0.5 line-clamp-2 block text-xs text-zinc-600">
                        {item.body}
                      </span>
                    )}
                    <span className="mt-0.5 block text-[11px] text-zinc-500">
                      {formatDateTime(item.createdAt)}
                    </span>
                  </span>
                </span>
              </>
            );
            const open = () => {
              if (!item.read) markRead.mutate({ ids: [item.id] });
              onNavigate();
            };
            return (
              <li key={item.id} data-testid="notification-item">
                {item.link ? (
                  <Link
                    href={item.link}
                    onClick={open}
                    className="block px-4 py-2.5 hover:bg-zinc-50 focus-visible:bg-zinc-50 focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-accent-600"
                  >
                    {content}
                  </Link>
                ) : (
                  <button
                    type="button"
                    onClick={() => !item.read && markRead.mutate({ ids: [item.id] })}
                    className="block w-full px-4 py-2.5 text-left hover:bg-zinc-50 focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-accent-600"
                  >
                    {content}
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {list.data?.nextCursor && limit < 100 && (
        <div className="border-t border-zinc-200 px-4 py-2 text-right">
          <Button size="sm" variant="ghost" onClick={() => setLimit(Math.min(100, limit + PAGE))}>
            Show more
          </Button>
        </div>
      )}
    </div>
  );
}
