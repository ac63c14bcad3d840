"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { inputClass } from "@/components/ui/field";
import type { InputLookup } from "./lookups";

/** Ids listed per request (the server's maximum is 100). */
const PAGE = 50;

/** "a contract", "an invoice". */
const withArticle = (noun: string) => `${/^[aeiou]/i.test(noun) ? "an" : "a"} ${noun}`;

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/**
 * A picker of the valid ids for an input that feeds a connector lookup: the records of the
 * workspace's mock service that the block input can name (`connector.lookupRecords`), filtered
 * by what is typed in the field; picking one fills the field. Where the records cannot be listed
 * (a connector to a real system, none configured), it says why and the id is typed.
 */
export function IdPicker({
  lookup,
  label,
  value,
  onPick,
}: {
  lookup: InputLookup;
  /** The field's label, for the picker's accessible name. */
  label: string;
  /** The field's text: filters the list, unless it is the id just picked. */
  value: string;
  onPick: (id: string) => void;
}) {
  const trpc = useTRPC();
  // After a pick, the list stays as it was filtered (not narrowed to the picked id).
  const [picked, setPicked] = useState<{ id: string; filter: string } | null>(null);
  const filter = picked && picked.id === value ? picked.filter : value;
  const query = useDebounced(filter.trim().slice(0, 100), 250);
  const records = useQuery({
    ...trpc.connector.lookupRecords.queryOptions({
      uses: lookup.uses,
      field: lookup.field,
      query,
      limit: PAGE,
    }),
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });

  if (records.error) {
    return <p className="text-xs text-amber-800">Cannot list ids: {errorMessage(records.error)}</p>;
  }
  const data = records.data;
  if (!data) {
    return (
      <select aria-label={`Pick an id for ${label}`} disabled className={`${inputClass} text-xs`}>
        <option>Loading ids…</option>
      </select>
    );
  }
  if (!data.available) return <p className="text-xs text-zinc-500">{data.reason}</p>;
  const first =
    data.total === 0
      ? `No ${data.noun} matches “${query}”`
      : `Pick ${withArticle(data.noun)}${query ? ` matching “${query}”` : ""} (${data.total})…`;
  return (
    <div className="space-y-0.5">
      <select
        aria-label={`Pick ${withArticle(data.noun)} for ${label}`}
        value=""
        onChange={(e) => {
          const id = e.target.value;
          if (!id) return;
          setPicked({ id, filter });
          onPick(id);
        }}
        className={`${inputClass} text-xs`}
        data-testid={`picker-${lookup.input}`}
      >
        <option value="">{first}</option>
        {data.items.map((r) => (
          <option key={r.id} value={r.id}>
            {r.id} — {r.label}
          </option>
        ))}
      </select>
      <p className="text-[11px] text-zinc-500">
        Valid ids from the mock service {data.connector}
        {data.total > data.items.length
          ? `: the first ${data.items.length} of ${data.total}; type to narrow`
          : ""}
        .
      </p>
    </div>
  );
}
