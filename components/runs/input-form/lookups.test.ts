import { describe, expect, it } from "vitest";
import { BlockRegistry, compile, policyLibrary } from "@/dsl";
import { inputLookups } from "./lookups";

const registry = BlockRegistry.withPrimitives();

function lookups(text: string) {
  const r = compile(text, { registry, policies: policyLibrary });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return Object.fromEntries(inputLookups(r.ir!, registry));
}

describe("inputs that feed a connector lookup", () => {
  it("finds inputs passed as they are to a connector block's record id", () => {
    expect(
      lookups(`flow: lookups
version: 1.0.0
inputs:
  contractId: { type: string }
  accountId: { type: string }
  currency: { type: string, default: EUR }
  note: { type: string }
steps:
  - id: contract
    uses: clm.contract.get@1
    with:
      id: \${{ inputs.contractId }}
  - id: account
    uses: billing.account.get@1
    with:
      accountId: \${{inputs.accountId}}
  - id: upsert
    uses: billing.account.upsert@2
    with:
      customer: { id: CUS-1, name: Ada, email: ada@example.com }
      currency: \${{ inputs.currency }}
  - id: deal
    uses: crm.deal.update@1
    with:
      id: DEAL-\${{ inputs.note }}
      stage: closed_won
      note: \${{ inputs.note }}
`),
    ).toEqual({
      contractId: { input: "contractId", uses: "clm.contract.get@1", field: "id", many: false },
      accountId: {
        input: "accountId",
        uses: "billing.account.get@1",
        field: "accountId",
        many: false,
      },
      // `currency` and `note` reach connector inputs that are not record ids; a template
      // (`DEAL-${{ … }}`) is not the id as it is.
    });
  });

  it("finds a list of ids a foreach hands to a connector block, item by item", () => {
    expect(
      lookups(`flow: dunning
version: 1.0.0
inputs:
  invoiceIds:
    type: array
    items: { type: string }
steps:
  - id: remind
    uses: control.foreach@1
    with:
      items: \${{ inputs.invoiceIds }}
      do:
        uses: billing.invoice.send@1
        with:
          invoiceId: \${{ item }}
          channel: email
`),
    ).toEqual({
      invoiceIds: {
        input: "invoiceIds",
        uses: "billing.invoice.send@1",
        field: "invoiceId",
        many: true,
      },
    });
  });

  it("offers no picker for an input of another type or a non-connector block", () => {
    expect(
      lookups(`flow: none
version: 1.0.0
inputs:
  count: { type: integer }
  text: { type: string }
steps:
  - id: t
    uses: data.transform@1
    with:
      fields: { x: inputs.text }
  - id: send
    uses: billing.invoice.send@1
    with:
      invoiceId: \${{ string(inputs.count) }}
      channel: email
`),
    ).toEqual({});
  });
});
