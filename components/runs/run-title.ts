/**
 * A run's title: its workflow's name and what ran, "Quote to cash v1.4.0" or "Quote to cash
 * (draft)" for a draft run; the flow's own name when the workflow is gone.
 */
export function runTitle(run: {
  workflowName?: string | null;
  flowName?: string;
  version: string | null;
  draft: boolean;
}): string {
  const name = run.workflowName ?? run.flowName ?? "Run";
  return run.draft ? `${name} (draft)` : `${name} v${run.version}`;
}
