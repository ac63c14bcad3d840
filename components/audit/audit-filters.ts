/** The audit page's filters, kept in its URL so a filtered view can be linked and reloaded. */
export interface AuditFilters {
  action: string;
  actor: string;
  subjectType: string;
  subjectId: string;
}

export const NO_FILTERS: AuditFilters = { action: "", actor: "", subjectType: "", subjectId: "" };

const KEYS = Object.keys(NO_FILTERS) as Array<keyof AuditFilters>;

export function filtersFromParams(params: { get(name: string): string | null }): AuditFilters {
  return Object.fromEntries(
    KEYS.map((k) => [k, (params.get(k) ?? "").trim().slice(0, 254)]),
  ) as unknown as AuditFilters;
}

/** Only the filters that are set, trimmed. */
export function activeFilters(f: AuditFilters): Partial<AuditFilters> {
  return Object.fromEntries(
    KEYS.flatMap((k) => (f[k].trim() ? [[k, f[k].trim()]] : [])),
  ) as Partial<AuditFilters>;
}

export function filtersQuery(f: AuditFilters): string {
  return new URLSearchParams(activeFilters(f) as Record<string, string>).toString();
}

/** The download link of the export (GET /api/audit/export) for these filters and workspace. */
export function exportHref(
  format: "csv" | "jsonl",
  f: AuditFilters,
  workspaceId: string | undefined,
): string {
  const params = new URLSearchParams({ format, ...(activeFilters(f) as Record<string, string>) });
  if (workspaceId) params.set("workspace", workspaceId);
  return `/api/audit/export?${params}`;
}
