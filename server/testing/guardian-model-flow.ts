/**
 * TEST FIXTURE (model-proposals and model-real int tests): a flow whose mapping reads a field
 * its input never has — no rule can patch it — and the patch a model answers for it.
 */

/** The flow; `header` is its first comment line. */
export function greetingFlow(name: string, header: string): string {
  return `# ${header}
flow: ${name}
version: 1.0.0
trigger:
  manual: {}
inputs:
  customer: { type: object }
steps:
  - id: shape          # the mail's fields
    uses: data.transform@1
    with:
      fields:
        name: inputs.customer.fullName
`;
}

/** The model's answer: read `name`, which the customers sent have. */
export const GREETING_PATCH = {
  title: "Read the customer's name from `name`",
  rationale:
    "The flow reads inputs.customer.fullName, but the customers sent have `name` and no `fullName`.",
  edits: [{ type: "set-input", step: "shape", key: "fields.name", value: "inputs.customer.name" }],
};
