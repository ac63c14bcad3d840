/** Test helpers: flows with agent steps, for tests that run them through the server. */

/**
 * A one-step flow (input `text`) whose `agent.classify` step routes to `route`, between
 * `billing` and `technical`, without retries.
 */
export function classifyRouteFlow(route: string, flow = "route-probe"): string {
  return `flow: ${flow}
version: 1.0.0
trigger:
  manual: {}
inputs:
  text: { type: string }
steps:
  - id: triage
    uses: agent.classify@1
    retry: { max: 0 }
    model: { route: ${JSON.stringify(route)} }
    with:
      text: \${{ inputs.text }}
      labels: ["billing", "technical"]
`;
}
