"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { CursorPager } from "@/components/ui/cursor-pager";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { SegmentedPicker } from "@/components/operations/range-picker";
import { GroupPanel } from "./group-panel";
import { GuardianModelSettings } from "./guardian-model-settings";
import { GroupsTable } from "./groups-table";
import { ProposalMetrics } from "./proposal-metrics";
import { CLASS_OPTIONS, type ClassFilter } from "./guardian-view";

/**
 * The Guardian page (issue 18): failed attempts and dead letters grouped by fingerprint, each
 * group's class, count, first and last seen and why its members belong together; a chosen
 * group's root-cause hints, members and fix proposals with their text diff.
 */
export function GuardianPage({ initialGroup = null }: { initialGroup?: string | null }) {
  const trpc = useTRPC();
  const [cls, setCls] = useState<ClassFilter>("all");
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  // A notification's or the inbox's link opens its group (`/guardian?group=<id>`).
  const [selected, setSelected] = useState<string | null>(initialGroup);
  const cursor = cursors[cursors.length - 1];
  const list = useQuery({
    ...trpc.guardian.groups.queryOptions({
      limit: 25,
      ...(cls === "all" ? {} : { class: cls }),
      ...(cursor ? { cursor } : {}),
    }),
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
  });
  const items = list.data?.items ?? [];
  return (
    <>
      <PageHeader
        title="Guardian"
        description="Failed runs grouped and explained, with fixes proposed as flow patches."
        actions={
          <SegmentedPicker
            legend="Class"
            name="guardian-class"
            options={CLASS_OPTIONS}
            value={cls}
            onChange={(c) => {
              setCls(c);
              setCursors([undefined]);
              setSelected(null);
            }}
          />
        }
      />
      <div className="space-y-4">
        <ProposalMetrics />
        <GuardianModelSettings />
        {list.error && (
          <Alert tone="error">{errorMessage(list.error) ?? "The groups could not be read."}</Alert>
        )}
        {list.data && items.length === 0 ? (
          <EmptyState title={cls === "all" ? "No failures to look at" : "No group of this class"}>
            When a step fails, the guardian groups the failure with others like it a few seconds
            after its run ends, says why, and proposes a fix when a rule can patch the flow.
          </EmptyState>
        ) : (
          <>
            <GroupsTable
              items={items}
              selected={selected}
              onSelect={(id) => setSelected(selected === id ? null : id)}
            />
            <CursorPager
              label="Pages of groups"
              cursors={cursors}
              nextCursor={list.data?.nextCursor}
              onChange={setCursors}
            />
          </>
        )}
        {selected && (
          <GroupPanel
            id={selected}
            others={items}
            onClose={() => setSelected(null)}
            onMoved={setSelected}
          />
        )}
      </div>
    </>
  );
}
