import { describe, expect, it } from "vitest";
import { definitionAt, hoverAt } from "./hover";
import { addStep, env, offsetOf, referenceExample, registry, template } from "./test-helpers";

const q2c = template("quote-to-cash");
const hover = (text: string, needle: string, delta = 1) => {
  const h = hoverAt(text, offsetOf(text, needle, delta), env);
  if (!h) throw new Error(`no hover on ${needle}`);
  return { ...h, text: text.slice(h.span.start, h.span.end) };
};

describe("hover on blocks and steps", () => {
  it("shows a block's title, facts, docs, inputs and output on its `uses`", () => {
    const h = hover(q2c, "billing.invoice.create@4", 3);
    const block = registry.get("billing.invoice.create")!;
    expect(h.text).toBe("billing.invoice.create@4");
    expect(h.markdown).toContain(`**${block.title}**`);
    expect(h.markdown).toContain(`v${block.version}`);
    expect(h.markdown).toContain("side effect: write");
    expect(h.markdown).toContain(block.docs);
    expect(h.markdown).toMatch(/\*\*Inputs\*\*[\s\S]*- `accountId`: string \(required\)/);
    expect(h.markdown).toMatch(/\*\*Output\*\*[\s\S]*- `invoiceId`/);
  });

  it("explains a reference that does not resolve, and a deprecated major", () => {
    const bad = q2c.replace("uses: crm.deal.update@1", "uses: crm.deal.update@9");
    expect(hover(bad, "crm.deal.update@9").markdown).toMatch(
      /no major 9[\s\S]*crm\.deal\.update@1/,
    );
    const old = q2c.replace("uses: billing.account.upsert@2", "uses: billing.account.upsert@1");
    const h = hover(old, "billing.account.upsert@1");
    expect(h.markdown).toContain("**Deprecated:**");
    expect(h.markdown).toContain("Newest: `billing.account.upsert@2`");
  });

  it("shows the compensation block and an agent's tools", () => {
    expect(hover(q2c, "billing.account.archive@1").markdown).toContain(
      registry.get("billing.account.archive")!.title,
    );
    const tools = template("lead-routing").replace(
      "      fallbackRoute: sales\n",
      "      fallbackRoute: sales\n      tools: [crm.contact.get@1]\n",
    );
    expect(hover(tools, "crm.contact.get@1").markdown).toContain(
      registry.get("crm.contact.get")!.title,
    );
  });

  it("shows a step's block, what it runs after, who reads it and its output", () => {
    const h = hover(q2c, "- id: account", 7);
    expect(h.text).toBe("account");
    expect(h.markdown).toContain("**Step `account`** — `billing.account.upsert@2`");
    expect(h.markdown).toContain("Runs after: `contract`");
    expect(h.markdown).toMatch(/Read by: .*`invoice`.*`deal`|Read by: .*`deal`.*`invoice`/);
    expect(h.markdown).toContain("- `creditLimit`: number (required)");
  });

  it("shows the step a `needs` entry names", () => {
    const h = hover(q2c, "needs: [invoice]", 9);
    expect(h.text).toBe("invoice");
    expect(h.markdown).toContain("**Step `invoice`**");
    const unknown = q2c.replace("needs: [invoice]", "needs: [nope]");
    expect(hover(unknown, "needs: [nope]", 9).markdown).toContain("No step `nope`");
  });

  it("shows a `with:` key's input schema", () => {
    const h = hover(q2c, "stage: closed_won", 1);
    expect(h.text).toBe("stage");
    expect(h.markdown).toContain('`stage`: "qualification" | ');
    expect(h.markdown).toContain("optional input of `crm.deal.update@1`");
    expect(h.markdown).toContain("Pipeline stage");
    const id = hover(q2c, "      id: ${{ steps.contract.output.dealId }}", 7);
    expect(id.markdown).toContain("required input");
    // Nested: the invoice line's quantity.
    expect(hover(q2c, "quantity: 1", 1).markdown).toContain("`lines.quantity`");
  });

  it("has nothing to say about other keys and plain values", () => {
    expect(hoverAt(q2c, offsetOf(q2c, "description: Provision", 15), env)).toBeUndefined();
    expect(hoverAt(q2c, offsetOf(q2c, "note: Invoiced", 8), env)).toBeUndefined();
  });
});

describe("hover in expressions", () => {
  it("describes each part of `steps.<id>.output.<field>`", () => {
    const expr = "${{ steps.account.output.accountId }}";
    const at = (part: string) => hover(q2c, expr, expr.indexOf(part) + 1);
    expect(at("steps").markdown).toContain("steps.<id>.output.<field>");
    expect(at("account").text).toBe("account");
    expect(at("account").markdown).toContain("**Step `account`**");
    expect(at("output").markdown).toContain("output of `billing.account.upsert@2`");
    const field = at("accountId");
    expect(field.text).toBe("accountId");
    expect(field.markdown).toContain("`steps.account.output.accountId`: string");
    expect(field.markdown).toContain("Billing account id");
  });

  it("says when a field is not in the output", () => {
    const bad = q2c.replace("steps.account.output.accountId", "steps.account.output.acountId");
    expect(hover(bad, "acountId }}", 1).markdown).toMatch(
      /`acountId` is not an output field of `billing.account.upsert@2`; known: `accountId`/,
    );
  });

  it("describes inputs, secrets (set or not), run fields and functions", () => {
    const input = hover(q2c, "inputs.contractId", 8);
    expect(input.text).toBe("contractId");
    expect(input.markdown).toContain("`inputs.contractId`: string — flow input");
    expect(input.markdown).toContain("pattern `^CTR-[0-9]+$`");

    const text = q2c.replace(
      "note: Invoiced on signature",
      "note: ${{ secrets.STRIPE_KEY + secrets.MISSING + run.id + string(size(run.flow)) + run.flow.lowerAscii() }}",
    );
    expect(hover(text, "STRIPE_KEY", 1).markdown).toContain("It is set in this workspace.");
    expect(hover(text, "MISSING", 1).markdown).toContain("It is not set in this workspace");
    expect(hover(text, "run.id", 5).markdown).toContain("`run.id`: string — The run's id.");
    expect(hover(text, "size(", 1).markdown).toContain("`size(list) -> int`");
    expect(hover(text, "string(", 1).markdown).toContain("`string(int) -> string`");
    // Not a function of the runtime: no hover.
    expect(hoverAt(text, offsetOf(text, "lowerAscii", 1), env)).toBeUndefined();
  });

  it("works on index-style step ids and in bare CEL (policy.check's rule)", () => {
    const text = referenceExample.replace(
      "note: ${{ steps.welcome.output.subject }}",
      "note: ${{ steps['credit-check'].output.decision }}",
    );
    const h = hover(text, "credit-check'].output", 1);
    expect(h.text).toBe("credit-check");
    expect(h.markdown).toContain("**Step `credit-check`** — `policy.check@1`");
    const rule = hover(referenceExample, "rule: steps.account.output.creditLimit", 30);
    expect(rule.text).toBe("creditLimit");
    expect(rule.markdown).toContain("`steps.account.output.creditLimit`: number");
  });
  it("works in control.switch's `when`, in flow style too", () => {
    const text = addStep(
      q2c,
      "  - id: route\n    uses: control.switch@1\n    with:\n      cases:\n        - { label: big, when: steps.account.output.creditLimit > 5000 }\n        - label: small\n          when: size(inputs.contractId) > 0",
    );
    const field = hover(text, "creditLimit > 5000", 1);
    expect(field.text).toBe("creditLimit");
    expect(field.markdown).toContain("`steps.account.output.creditLimit`: number");
    const step = hover(text, "account.output.creditLimit > 5000", 1);
    expect(step.markdown).toContain("**Step `account`**");
    expect(hover(text, "size(inputs", 1).markdown).toContain("`size(string) -> int`");
    expect(hover(text, "inputs.contractId) > 0", 8).markdown).toContain(
      "`inputs.contractId`: string — flow input",
    );
    // The label is not CEL.
    expect(hoverAt(text, offsetOf(text, "label: big", 8), env)).toBeUndefined();
    const d = definitionAt(text, offsetOf(text, "account.output.creditLimit > 5000", 2), env)!;
    expect(d.span.start).toBe(offsetOf(text, "- id: account", 6));
  });
});

describe("go to definition", () => {
  const def = (text: string, needle: string, delta = 1) => {
    const d = definitionAt(text, offsetOf(text, needle, delta), env);
    if (!d) return undefined;
    return {
      target: text.slice(d.span.start, d.span.end),
      origin: text.slice(d.origin.start, d.origin.end),
      at: d.span.start,
    };
  };

  it("goes from `steps.<id>` in an expression to the step's id", () => {
    const d = def(q2c, "steps.account.output.accountId", 8)!;
    expect(d.target).toBe("account");
    expect(d.origin).toBe("account");
    expect(d.at).toBe(offsetOf(q2c, "- id: account", 6));
    // From a field of the reference too.
    expect(def(q2c, "steps.account.output.accountId", 23)?.target).toBe("account");
    // `steps` itself names no step.
    expect(def(q2c, "steps.account.output.accountId", 2)).toBeUndefined();
  });

  it("goes from `needs` entries, inline and as a list, and from bare CEL", () => {
    expect(def(q2c, "needs: [invoice]", 10)?.at).toBe(offsetOf(q2c, "- id: invoice", 6));
    const list = q2c.replace("needs: [invoice]", "needs:\n      - invoice");
    expect(def(list, "      - invoice", 9)?.at).toBe(offsetOf(list, "- id: invoice", 6));
    expect(def(referenceExample, "rule: steps.account", 14)?.at).toBe(
      offsetOf(referenceExample, "- id: account", 6),
    );
    expect(
      def(
        referenceExample.replace("needs: [credit-check]", "needs: ['credit-check']"),
        "'credit-check'",
        2,
      )?.target,
    ).toBe("credit-check");
  });

  it("goes from `inputs.<name>` to the input's declaration", () => {
    const d = def(q2c, "inputs.contractId }}", 9)!;
    expect(d.target).toBe("contractId");
    expect(d.at).toBe(offsetOf(q2c, "  contractId:", 2));
  });

  it("finds nothing for an unknown step, a literal or another key", () => {
    const bad = q2c.replace("steps.account.output.accountId", "steps.nope.output.accountId");
    expect(def(bad, "steps.nope", 7)).toBeUndefined();
    expect(def(q2c, "stage: closed_won", 9)).toBeUndefined();
    const added = addStep(
      q2c,
      "  - id: x\n    uses: crm.deal.update@1\n    with:\n      id: ${{ 'steps.account' }}",
    );
    expect(definitionAt(added, offsetOf(added, "'steps.account'", 8), env)).toBeUndefined();
  });
});

describe("hover on a schedule's cron", () => {
  const now = Date.parse("2026-12-04T16:40:00Z");
  const at = { ...env, now: () => now };
  const flow = (trigger: string) =>
    `flow: nightly\nversion: 1.0.0\n${trigger}\nsteps:\n  - id: a\n    uses: data.transform@1\n    with:\n      fields: {}\n`;

  it("lists the next fire times the scheduler will use, in UTC", () => {
    const text = flow('trigger:\n  schedule:\n    cron: "*/15 9-17 * * mon-fri"');
    const h = hoverAt(text, offsetOf(text, "*/15", 2), at)!;
    expect(text.slice(h.span.start, h.span.end)).toBe('"*/15 9-17 * * mon-fri"');
    expect(h.markdown).toContain("(UTC)");
    const listed = h.markdown.split("\n").filter((l) => l.startsWith("- "));
    expect(listed).toEqual([
      "- 2026-12-04 16:45 UTC",
      "- 2026-12-04 17:00 UTC",
      "- 2026-12-04 17:15 UTC",
      "- 2026-12-04 17:30 UTC",
      "- 2026-12-04 17:45 UTC",
    ]);
  });

  it("works in the flow style the Triggers panel writes", () => {
    const text = flow('trigger: { schedule: { cron: "0 9 * * *" } }');
    const h = hoverAt(text, offsetOf(text, "0 9", 1), at)!;
    expect(h.markdown).toContain("- 2026-12-05 09:00 UTC");
  });

  it("names what is wrong with an expression the scheduler cannot fire", () => {
    const text = flow("trigger:\n  schedule:\n    cron: 99 99 * * *");
    expect(hoverAt(text, offsetOf(text, "99 99", 1), at)!.markdown).toMatch(
      /not a valid cron expression: minute 99 is out of range 0-59/,
    );
    const never = flow('trigger:\n  schedule:\n    cron: "0 0 31 2 *"');
    expect(hoverAt(never, offsetOf(never, "0 0 31", 1), at)!.markdown).toMatch(/no fire time/);
  });
});
