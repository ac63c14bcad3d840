"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { SelectField } from "@/components/ui/field";

const NONE = "";

/**
 * The guardian's model (issue 18): which model writes fix proposals the rules cannot (none:
 * rule proposals only), and what its requests came to over 30 days. Everyone sees it; admins
 * choose among the router's configured models and the workspace's scripted models (audited).
 */
export function GuardianModelSettings() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const isAdmin = useCan("admin");
  const setting = useQuery(trpc.guardianModel.get.queryOptions());
  const figures = useQuery(trpc.guardianModel.figures.queryOptions({ days: 30 }));
  const [chosen, setChosen] = useState<string | null>(null);
  const save = useMutation(
    trpc.guardianModel.set.mutationOptions({
      onSuccess: () => {
        setChosen(null);
        return queryClient.invalidateQueries(trpc.guardianModel.pathFilter());
      },
    }),
  );
  if (setting.error)
    return (
      <Alert tone="error">
        {errorMessage(setting.error) ?? "The guardian's model could not be read."}
      </Alert>
    );
  if (!setting.data)
    return <p className="text-sm text-zinc-500">Loading the guardian&rsquo;s model…</p>;
  const s = setting.data;
  const value = chosen ?? s.model ?? NONE;
  const f = figures.data;
  const discarded = f
    ? Object.entries(f.discardedBy)
        .map(([why, n]) => `${n} ${why}`)
        .join(", ")
    : "";
  return (
    <section
      aria-labelledby="guardian-model-heading"
      className="space-y-2 rounded-md border border-zinc-200 p-3"
    >
      <h2 id="guardian-model-heading" className="text-sm font-semibold text-zinc-900">
        Model-written proposals
      </h2>
      <p className="text-sm text-zinc-700">
        {s.model
          ? `${s.label} writes a proposal when no rule can patch a group, or every rule's fix failed its proof. Its patches are proved and reviewed like the rules'.`
          : "No model is chosen: the guardian proposes rule-based fixes only."}
        {s.setBy && s.setAt && (
          <span className="text-zinc-500">
            {" "}
            Chosen by {s.setBy} on {new Date(s.setAt).toLocaleDateString()}.
          </span>
        )}
      </p>
      {f && f.requests > 0 && (
        <p className="text-xs text-zinc-600">
          Last 30 days: {f.requests} request{f.requests === 1 ? "" : "s"},{" "}
          {f.byOutcome.proposed ?? 0} proposal{(f.byOutcome.proposed ?? 0) === 1 ? "" : "s"}
          {discarded ? `; not used: ${discarded}` : ""}; ${f.costUsd.toFixed(4)} spent.
        </p>
      )}
      {isAdmin && (
        <form
          aria-label="The guardian's model"
          className="flex flex-wrap items-end gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate({ model: value === NONE ? null : value });
          }}
        >
          <div className="min-w-64">
            <SelectField
              label="Model"
              value={value}
              onChange={(e) => setChosen(e.target.value)}
              hint="Configured models (TRUSTFLOW_MODELS) and this workspace's scripted models."
            >
              <option value={NONE}>None (rule proposals only)</option>
              {s.choices.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </SelectField>
          </div>
          <Button type="submit" size="sm" disabled={save.isPending || value === (s.model ?? NONE)}>
            {save.isPending ? "Saving…" : "Save"}
          </Button>
        </form>
      )}
      {save.error && <Alert tone="error">{errorMessage(save.error)}</Alert>}
    </section>
  );
}
