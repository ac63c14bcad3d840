const dateTime = new Intl.DateTimeFormat("en-GB", {
  year: "numeric",
  month: "short",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
});

/** A compact, locale-stable date and time, e.g. `03 Mar 2025, 14:05`. */
export function formatDateTime(value: Date | string | null | undefined): string {
  if (!value) return "—";
  const d = typeof value === "string" ? new Date(value) : value;
  return Number.isNaN(d.getTime()) ? "—" : dateTime.format(d);
}

/** One line summarising a JSON payload: `name: Quote to cash, from: A`. */
export function summarisePayload(payload: unknown, max = 120): string {
  if (payload === null || payload === undefined) return "";
  let text: string;
  if (typeof payload === "object" && !Array.isArray(payload)) {
    text = Object.entries(payload as Record<string, unknown>)
      .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(", ");
  } else {
    text = JSON.stringify(payload);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
