"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";

/**
 * A session's real model routes (issue 16): which configured models of the model router its
 * agent steps may reach besides the demo model. Everyone sees them; only admins change them (an
 * audited choice), while the session is open. Without any, nothing the session runs leaves the
 * process.
 */
export function SessionModelRoutes({
  sessionId,
  routes,
  open,
}: {
  sessionId: string;
  routes: string[];
  open: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const isAdmin = useCan("admin");
  const models = useQuery({ ...trpc.model.list.queryOptions(), enabled: isAdmin && open });
  const [chosen, setChosen] = useState<string[]>(routes);
  const save = useMutation(
    trpc.sandbox.setModelRoutes.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.sandbox.pathFilter()),
    }),
  );
  const real = (models.data?.models ?? []).filter((m) => !m.demo);
  const current =
    routes.length === 0
      ? "None: agent steps answer from the demo model (or the session's scripted model), and nothing leaves the process."
      : `${routes.join(", ")}: agent steps naming these routes reach the real models, through the router's budgets, the PII guard and the egress guard. Connectors stay on the session's mocks.`;

  return (
    <section aria-labelledby="model-routes-heading" className="space-y-2">
      <h3 id="model-routes-heading" className="text-sm font-semibold">
        Real model routes
      </h3>
      <p className="text-sm text-zinc-600">{current}</p>
      {isAdmin && open && (
        <form
          aria-label="Real model routes of the session"
          className="space-y-2"
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate({ id: sessionId, routes: chosen });
          }}
        >
          {models.isPending ? (
            <p className="text-sm text-zinc-500">Loading models…</p>
          ) : models.error ? (
            <Alert tone="error">{errorMessage(models.error)}</Alert>
          ) : real.length === 0 ? (
            <p className="text-sm text-zinc-600">
              No real model is configured: set TRUSTFLOW_MODELS to offer routes here.
            </p>
          ) : (
            <fieldset className="flex flex-wrap gap-3 text-sm">
              <legend className="sr-only">Models the session may reach</legend>
              {real.map((m) => (
                <label key={m.name} className="flex items-center gap-1.5">
                  <input
                    type="checkbox"
                    checked={chosen.includes(m.name)}
                    onChange={(e) =>
                      setChosen((c) =>
                        e.target.checked ? [...c, m.name] : c.filter((n) => n !== m.name),
                      )
                    }
                  />
                  {m.name}
                  <span className="text-xs text-zinc-500">
                    ({m.provider}, {m.model})
                  </span>
                </label>
              ))}
            </fieldset>
          )}
          {real.length > 0 && (
            <Button type="submit" size="sm" pending={save.isPending}>
              Save model routes
            </Button>
          )}
          {save.error && <Alert tone="error">{errorMessage(save.error)}</Alert>}
        </form>
      )}
    </section>
  );
}
