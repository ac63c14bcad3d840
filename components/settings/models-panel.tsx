"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc/client";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Td } from "@/components/ui/table";
import { SettingsSection } from "./settings-section";
import { SettingsTable, type SettingsColumn } from "./settings-table";

const COLUMNS: readonly SettingsColumn[] = [
  { label: "Model" },
  { label: "Provider" },
  { label: "Tasks" },
  { label: "Tier" },
  { label: "Cost per 1M tokens (in / out)" },
];

const perMillion = (usdPerToken: number) =>
  usdPerToken === 0 ? "free" : `$${(usdPerToken * 1_000_000).toFixed(2)}`;

/** Settings: the language models agent steps run on (configured on the server, read-only here). */
export function ModelsPanel() {
  const trpc = useTRPC();
  const models = useQuery(trpc.model.list.queryOptions());
  const demo = models.data?.models.some((m) => m.demo) ?? false;
  return (
    <SettingsSection
      id="models-heading"
      title="Models"
      description={
        <>
          Agent steps (classify, extract, summarize, draft, route) run on these models. They are
          configured on the server with <code className="font-mono">TRUSTFLOW_MODELS</code>, keys
          included, and never shown here.
        </>
      }
    >
      {demo && (
        <Alert tone="info" testId="demo-model-notice">
          The demo model (no AI) is built in: it answers every agent step with a deterministic
          answer that fits the step&apos;s output schema, made from the words of the prompt. Set{" "}
          <code className="font-mono">TRUSTFLOW_MODELS</code> on the server to use a real model
          (OpenAI, Azure OpenAI, Ollama, vLLM, LiteLLM).
        </Alert>
      )}
      <SettingsTable
        label="Configured models"
        columns={COLUMNS}
        query={models.data ? { ...models, data: models.data.models } : models}
        loadingText="Loading models…"
        emptyText="No model: TRUSTFLOW_MODELS is an empty list, so agent steps fail until one is configured."
      >
        {models.data?.models.map((m) => (
          <tr key={m.name}>
            <Td>
              {m.demo ? (
                <span title={`Configured as ${m.name}`}>
                  {m.label} <Badge tone="accent">built in</Badge>
                </span>
              ) : (
                <span className="font-mono text-xs">{m.name}</span>
              )}
            </Td>
            <Td className="text-zinc-600">{m.demo ? "this server" : m.provider}</Td>
            <Td className="text-zinc-600">{m.tasks.join(", ")}</Td>
            <Td className="text-zinc-600">{m.tier}</Td>
            <Td className="text-zinc-600">
              {perMillion(m.costPerInputToken)} / {perMillion(m.costPerOutputToken)}
            </Td>
          </tr>
        ))}
      </SettingsTable>
    </SettingsSection>
  );
}
