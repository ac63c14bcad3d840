"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import type { BlockRegistry } from "@/dsl";
import type { FlowGraph } from "@/lib/studio/flow-graph";
import { useTRPC } from "@/lib/trpc/client";
import { earnedMarks, flowMark, type EarnedMark } from "./earned-marks";

/** Earned scores change as runs finish: read again at most every half minute. */
const STALE_MS = 30_000;

/**
 * The earned trust of the open flow's steps and of the flow (its lowest step), from the
 * workspace's block scores (`trust.list`, one page of up to 500 block versions, lowest first)
 * and the model's parameters (`trust.model`, for the formula on hover). The Trust page reads
 * the same queries, so react-query shares their answers.
 */
export function useEarnedTrust(registry: BlockRegistry, graph: FlowGraph | null) {
  const trpc = useTRPC();
  const list = useQuery({
    ...trpc.trust.list.queryOptions({ kind: "block", limit: 500 }),
    staleTime: STALE_MS,
  });
  const model = useQuery({ ...trpc.trust.model.queryOptions(), staleTime: Infinity });
  const marks = useMemo<Record<string, EarnedMark> | undefined>(() => {
    if (!graph || !list.data || !model.data) return undefined;
    return earnedMarks(registry, graph.steps, list.data.items, model.data);
  }, [registry, graph, list.data, model.data]);
  return {
    marks,
    flow: marks ? flowMark(marks) : null,
    error: list.error ?? model.error,
  };
}
