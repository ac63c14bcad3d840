/** Test helpers: flows with agent steps, for tests that run them through the server. */

/**
 * A one-step flow (input `text`) whose `agent.classify` step `triage` sorts the text between
 * `labels`, without retries; through the model route `route` when given, and with the output
 * `label` when `output`.
 */
export function classifyFlow(opts: {
  flow: string;
  labels: readonly string[];
  version?: string;
  route?: string;
  output?: boolean;
}): string {
  const route =
    opts.route === undefined ? "" : `    model: { route: ${JSON.stringify(opts.route)} }\n`;
  const output = opts.output ? "outputs:\n  label: ${{ steps.triage.output.label }}\n" : "";
  return `flow: ${opts.flow}
version: ${opts.version ?? "1.0.0"}
trigger:
  manual: {}
inputs:
  text: { type: string }
steps:
  - id: triage
    uses: agent.classify@1
    retry: { max: 0 }
${route}    with:
      text: \${{ inputs.text }}
      labels: ${JSON.stringify(opts.labels)}
${output}`;
}

/**
 * A one-step flow (input `text`) whose `agent.classify` step routes to `route`, between
 * `billing` and `technical`, without retries.
 */
export function classifyRouteFlow(route: string, flow = "route-probe"): string {
  return classifyFlow({ flow, route, labels: ["billing", "technical"] });
}
