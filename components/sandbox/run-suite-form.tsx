"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc/client";
import { formErrors } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";

type SuiteDetail = { suite: { id: string; target: { kind: "flow" | "block" } } };

/** Start an eval run of the suite: a session and a variant. */
export function RunSuiteForm({ detail }: { detail: SuiteDetail & { suite: { target: unknown } } }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const sessions = useQuery(trpc.sandbox.list.queryOptions({}));
  const target = detail.suite.target as { kind: "flow"; workflowId: string } | { kind: "block" };
  const flowId = target.kind === "flow" ? target.workflowId : "";
  const versions = useQuery({
    ...trpc.workflow.listVersions.queryOptions({ id: flowId }),
    enabled: flowId !== "",
  });
  const [sessionId, setSessionId] = useState("");
  const [route, setRoute] = useState("");
  const [version, setVersion] = useState("");
  const run = useMutation(
    trpc.evalSuite.run.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.evalSuite.get.pathFilter()),
    }),
  );
  const errors = formErrors(run.error);
  const session = sessionId || sessions.data?.[0]?.id || "";
  return (
    <form
      aria-label="Run the suite"
      noValidate
      className="grid grid-cols-[1fr_1fr_auto] items-start gap-3"
      onSubmit={(e) => {
        e.preventDefault();
        run.mutate({
          suiteId: detail.suite.id,
          sessionId: session,
          variant:
            target.kind === "block"
              ? route.trim()
                ? { route: route.trim() }
                : {}
              : version === "draft"
                ? { draft: true }
                : version
                  ? { version }
                  : {},
        });
      }}
    >
      <SelectField
        label="Sandbox session"
        value={session}
        onChange={(e) => setSessionId(e.target.value)}
        errors={errors.fields.sessionId}
      >
        {sessions.data?.length ? null : <option value="">No open session: create one first</option>}
        {sessions.data?.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name}
          </option>
        ))}
      </SelectField>
      {target.kind === "block" ? (
        <TextField
          label="Model route (optional)"
          placeholder="a model name or a task type"
          value={route}
          onChange={(e) => setRoute(e.target.value)}
          errors={errors.fields.variant}
          hint="Compare routes by running the suite once per route."
        />
      ) : (
        <SelectField
          label="Flow version"
          value={version}
          onChange={(e) => setVersion(e.target.value)}
          errors={errors.fields.variant}
        >
          <option value="">Latest version</option>
          <option value="draft">Draft</option>
          {versions.data?.map((v) => (
            <option key={v.version} value={v.version}>
              {v.version}
            </option>
          ))}
        </SelectField>
      )}
      <Button type="submit" variant="primary" className="mt-5" pending={run.isPending}>
        Run suite
      </Button>
      {errors.message && (
        <Alert tone="error" className="col-span-3">
          {errors.message}
        </Alert>
      )}
    </form>
  );
}
