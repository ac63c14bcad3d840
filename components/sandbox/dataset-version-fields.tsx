"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc/client";
import { SelectField } from "@/components/ui/field";

/** A chosen dataset and version ("" for none; a blank version means the dataset's latest). */
export interface DatasetVersionChoice {
  datasetId: string;
  versionId: string;
}

/**
 * Two selects, a dataset then one of its versions (each named by number, rows and the first 12
 * characters of its content hash), for the forms that start from a dataset version: a new
 * session (its mock data) and a new suite (its rows). `resolveVersion` gives the version id to
 * send: the chosen one, else the dataset's latest.
 */
export function DatasetVersionFields({
  value,
  onChange,
  none,
  errors,
}: {
  value: DatasetVersionChoice;
  onChange: (v: DatasetVersionChoice) => void;
  /** The first option of the dataset select, e.g. "Choose…" or "None (the seeded data)". */
  none: string;
  errors?: string[] | undefined;
}) {
  const trpc = useTRPC();
  const datasets = useQuery(trpc.dataset.list.queryOptions({}));
  const versions = useQuery({
    ...trpc.dataset.versions.queryOptions({ datasetId: value.datasetId }),
    enabled: value.datasetId !== "",
  });
  const latest = datasets.data?.find((d) => d.id === value.datasetId)?.latest;
  return (
    <>
      <SelectField
        label="Dataset"
        value={value.datasetId}
        onChange={(e) => onChange({ datasetId: e.target.value, versionId: "" })}
        errors={errors}
      >
        <option value="">{none}</option>
        {datasets.data?.map((d) => (
          <option key={d.id} value={d.id} disabled={!d.latest}>
            {d.name}
            {d.latest ? ` (v${d.latest.version}, ${d.latest.rowCount} rows)` : " (no versions)"}
          </option>
        ))}
      </SelectField>
      <SelectField
        label="Version"
        value={value.versionId}
        onChange={(e) => onChange({ ...value, versionId: e.target.value })}
        disabled={!value.datasetId}
        hint={latest && !value.versionId ? `hash ${latest.hash.slice(0, 12)}` : undefined}
      >
        <option value="">{latest ? `Latest (v${latest.version})` : "Latest"}</option>
        {versions.data?.map((v) => (
          <option key={v.id} value={v.id}>
            v{v.version} · {v.rowCount} rows · {v.hash.slice(0, 12)}
          </option>
        ))}
      </SelectField>
    </>
  );
}

/** The version id a choice names: the chosen version, else the dataset's latest; "" for none. */
export function useResolvedVersion(choice: DatasetVersionChoice): string {
  const trpc = useTRPC();
  const datasets = useQuery(trpc.dataset.list.queryOptions({}));
  if (!choice.datasetId) return "";
  return (
    choice.versionId || datasets.data?.find((d) => d.id === choice.datasetId)?.latest?.id || ""
  );
}
