/** Numbers as the dashboards show them (plain functions, shared by the Trust and Operations pages). */

export function formatPercent(v: number | null, digits = 1): string {
  return v === null ? "–" : `${(v * 100).toFixed(digits)} %`;
}

export function formatMs(v: number | null): string {
  if (v === null) return "–";
  if (v < 1_000) return `${Math.round(v)} ms`;
  if (v < 60_000) return `${(v / 1_000).toFixed(1)} s`;
  return `${(v / 60_000).toFixed(1)} min`;
}

export function formatUsd(v: number): string {
  return v >= 1 ? `$${v.toFixed(2)}` : `$${v.toFixed(4)}`;
}

export function formatCount(v: number): string {
  return v.toLocaleString("en-US");
}

/** A bucket's start as a short label: time of day for minutes and hours, the date for days. */
export function bucketLabel(iso: string, bucketMs: number): string {
  const d = new Date(iso);
  if (bucketMs >= 86_400_000)
    return d.toLocaleDateString("en-GB", { day: "numeric", month: "short" });
  if (bucketMs >= 3_600_000 && Date.now() - d.getTime() > 86_400_000)
    return d.toLocaleString("en-GB", { weekday: "short", hour: "2-digit", minute: "2-digit" });
  return d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
}
