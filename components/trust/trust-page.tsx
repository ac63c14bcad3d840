"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { SegmentedPicker } from "@/components/operations/range-picker";
import { AlertsPanel } from "./alerts-panel";
import { AnomalyTimeline } from "./anomaly-timeline";
import { PredictionQuality } from "./prediction-quality";
import { TrustEntityPanel } from "./trust-entity-panel";
import { sortEntries, TrustScoresTable, type Sort } from "./trust-scores-table";

const KINDS = [
  { value: "block", label: "Blocks" },
  { value: "endpoint", label: "Endpoints" },
  { value: "model", label: "Models" },
  { value: "flow", label: "Flows" },
] as const;
type Kind = (typeof KINDS)[number]["value"];

const KIND_WORDS: Record<Kind, string> = {
  block: "block version",
  endpoint: "connector endpoint",
  model: "model",
  flow: "flow version",
};

/**
 * The Trust page: earned scores per block version, connector endpoint, model and flow version
 * with their interval and n (lowest first; sortable), "not enough data" below n = 20, and for a
 * chosen entity its trend and the runs behind it.
 */
export function TrustPage() {
  const trpc = useTRPC();
  const [kind, setKind] = useState<Kind>("block");
  const [sort, setSort] = useState<Sort>({ key: "score", dir: "asc" });
  const [selected, setSelected] = useState<string | null>(null);
  const list = useQuery({
    ...trpc.trust.list.queryOptions({ kind, limit: 500 }),
    placeholderData: keepPreviousData,
    refetchInterval: 30_000,
  });
  const items = useMemo(() => sortEntries(list.data?.items ?? [], sort), [list.data, sort]);
  const entry = items.find((e) => e.key === selected) ?? null;
  const thin = items.filter((e) => !e.enoughData).length;
  return (
    <>
      <PageHeader
        title="Trust"
        description="Earned scores from run history, with their uncertainty: how far each block, endpoint, model and flow can be relied on."
        actions={
          <SegmentedPicker
            legend="Kind"
            name="kind"
            options={KINDS}
            value={kind}
            onChange={(k) => {
              setKind(k);
              setSelected(null);
            }}
          />
        }
      />
      <div className="space-y-4">
        {list.error && (
          <Alert tone="error">{errorMessage(list.error) ?? "The scores could not be read."}</Alert>
        )}
        {list.data && items.length === 0 ? (
          <EmptyState title={`No ${KIND_WORDS[kind]} has a score yet`}>
            Scores are earned from finished runs (about a second after each run ends). Until a{" "}
            {KIND_WORDS[kind]} has run 20 times its baseline trust stands in.
          </EmptyState>
        ) : (
          <>
            <p className="text-xs text-zinc-600">
              {items.length} {KIND_WORDS[kind]}
              {items.length === 1 ? "" : "s"}
              {thin ? `, ${thin} with not enough data (n below 20: the baseline stands in)` : ""}.
              The score is the posterior mean of a Beta model with decay; anomalies not marked
              expected and guardian groups lower it for a while. Hover a score for its inputs and
              formula, or open its details.
            </p>
            <TrustScoresTable
              items={items}
              sort={sort}
              onSort={setSort}
              selected={selected}
              onSelect={(k) => setSelected(selected === k ? null : k)}
            />
          </>
        )}
        {entry && <TrustEntityPanel entry={entry} onClose={() => setSelected(null)} />}
        <AnomalyTimeline />
        <AlertsPanel />
        <PredictionQuality />
      </div>
    </>
  );
}
