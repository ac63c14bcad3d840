"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc/client";
import { useCan } from "@/lib/trpc/hooks";
import { CreateSuiteForm } from "./create-suite-form";
import { EvalSuiteDetail } from "./eval-suite-detail";
import { EvalSuiteList } from "./eval-suite-list";

/**
 * The Sandbox page's evaluations: suites (a dataset version plus assertions, run against an
 * agent block or a flow in a sandbox session, n repetitions per row), their runs with pass@1,
 * pass^n, flaky rate, cost and latency per model route, a chart of pass rates, per-sample
 * results, and a side-by-side comparison of two runs.
 */
export function EvalSuitesPanel() {
  const trpc = useTRPC();
  const canEdit = useCan("editor");
  const suites = useQuery(trpc.evalSuite.list.queryOptions({}));
  const [selected, setSelected] = useState<string | null>(null);
  const current = selected ?? suites.data?.[0]?.id ?? null;
  return (
    <div className="space-y-6">
      {canEdit ? (
        <CreateSuiteForm onCreated={setSelected} />
      ) : (
        <p className="text-sm text-zinc-600">Only editors and admins create and run suites.</p>
      )}
      <EvalSuiteList current={current} onSelect={setSelected} />
      {current && <EvalSuiteDetail key={current} id={current} />}
    </div>
  );
}
