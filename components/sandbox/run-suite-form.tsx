"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc/client";
import { formErrors } from "@/lib/trpc/errors";
import { SelectField, TextField } from "@/components/ui/field";
import { CreateForm, NamedOptions } from "./sandbox-list";

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
    <CreateForm
      boxed={false}
      label="Run the suite"
      grid="grid-cols-[1fr_1fr_auto]"
      span="col-span-3"
      submit="Run suite"
      pending={run.isPending}
      error={errors.message}
      onSubmit={() =>
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
        })
      }
    >
      <SelectField
        label="Sandbox session"
        value={session}
        onChange={(e) => setSessionId(e.target.value)}
        errors={errors.fields.sessionId}
      >
        <NamedOptions
          items={sessions.data ?? []}
          empty={sessions.data?.length ? undefined : "No open session: create one first"}
        />
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
    </CreateForm>
  );
}
