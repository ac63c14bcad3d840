/**
 * A model as the run view names it: its label when the server gives one that differs from the
 * configured name (the built-in demo model is "demo model (no AI)"), the name itself otherwise.
 */
export function ModelName({ model, label }: { model: string; label?: string }) {
  if (!label || label === model) return <span className="font-mono">{model}</span>;
  return (
    <span title={`Configured as ${model}`} className="italic">
      {label}
    </span>
  );
}
