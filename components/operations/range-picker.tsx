"use client";

/** The dashboards' time ranges. */
export const RANGES = [
  { value: "1h", label: "1 h" },
  { value: "24h", label: "24 h" },
  { value: "7d", label: "7 d" },
  { value: "30d", label: "30 d" },
] as const;
export type Range = (typeof RANGES)[number]["value"];

/**
 * A segmented choice: native radio buttons under a named group (arrow keys move between them,
 * the focused one is outlined).
 */
export function SegmentedPicker<T extends string>({
  legend,
  name,
  options,
  value,
  onChange,
}: {
  legend: string;
  name: string;
  options: ReadonlyArray<{ value: T; label: string }>;
  value: T;
  onChange: (v: T) => void;
}) {
  return (
    <fieldset className="flex items-center gap-2">
      <legend className="sr-only">{legend}</legend>
      <span aria-hidden className="text-xs font-medium text-zinc-600">
        {legend}
      </span>
      <div className="inline-flex overflow-hidden rounded-md border border-zinc-300 bg-white">
        {options.map((o) => (
          <label
            key={o.value}
            className={`cursor-pointer px-2.5 py-1 text-xs font-medium has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-accent-600 ${
              value === o.value ? "bg-zinc-900 text-white" : "text-zinc-700 hover:bg-zinc-50"
            }`}
          >
            <input
              type="radio"
              name={name}
              value={o.value}
              checked={value === o.value}
              onChange={() => onChange(o.value)}
              className="sr-only"
            />
            {o.label}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/** The time range of a dashboard. */
export function RangePicker({
  value,
  onChange,
  name = "range",
}: {
  value: Range;
  onChange: (r: Range) => void;
  name?: string;
}) {
  return (
    <SegmentedPicker
      legend="Range"
      name={name}
      options={RANGES}
      value={value}
      onChange={onChange}
    />
  );
}
