import { describe, expect, it } from "vitest";
import { completionsAt, STEP_LIST_LIMIT, type CompletionResult } from "./completion";
import {
  addStep,
  CURSOR,
  declaredInputs,
  edit,
  env,
  referenceExample,
  registry,
  template,
} from "./test-helpers";

const q2c = template("quote-to-cash");

function complete(text: string, find: string, replace: string, e = env): CompletionResult {
  const at = edit(text, find, replace);
  const r = completionsAt(at.text, at.offset, e);
  if (!r) throw new Error(`no completion at ${replace}`);
  return r;
}

const labels = (r: CompletionResult) => r.items.map((i) => i.label);
/** An item's documentation (built on demand for some). */
const docs = (i: { documentation?: string | (() => string) }) =>
  typeof i.documentation === "function" ? i.documentation() : (i.documentation ?? "");
const item = (r: CompletionResult, label: string) => {
  const found = r.items.find((i) => i.label === label);
  if (!found) throw new Error(`no item ${label} in ${labels(r).join(", ")}`);
  return found;
};

describe("completion after uses:", () => {
  it("offers every block id with its major, title, version and docs", () => {
    const r = complete(q2c, "uses: crm.deal.update@1", `uses: ${CURSOR}`);
    const newest = registry.list();
    // Every block, at its newest major.
    for (const b of newest) expect(labels(r)).toContain(`${b.id}@${b.version.split(".")[0]}`);
    const invoice = item(r, "billing.invoice.create@4");
    expect(invoice.kind).toBe("block");
    expect(invoice.insertText).toBe("billing.invoice.create@4");
    expect(invoice.detail).toMatch(/Create invoice.*connector.*billing.*v4\.\d+\.\d+/i);
    expect(docs(invoice)).toContain(registry.get("billing.invoice.create")!.docs);
    expect(docs(invoice)).toMatch(/\*\*Inputs\*\*[\s\S]*`accountId`/);
    expect(invoice.deprecated).toBe(false);
  });

  it("lists the older supported majors as deprecated, after the newest", () => {
    const r = complete(q2c, "uses: crm.deal.update@1", `uses: ${CURSOR}`);
    const older = item(r, "billing.account.upsert@1");
    expect(older.deprecated).toBe(true);
    expect(older.detail).toContain("older major");
    expect(older.sortText! > item(r, "billing.account.upsert@2").sortText!).toBe(true);
    // billing.invoice.create@1 is three majors behind @4: no longer offered.
    expect(labels(r)).not.toContain("billing.invoice.create@1");
  });

  it("replaces what has been typed of the reference", () => {
    const { text, offset } = edit(q2c, "uses: crm.deal.update@1", `uses: bil${CURSOR}`);
    const r = completionsAt(text, offset, env)!;
    expect(text.slice(r.span.start, r.span.end)).toBe("bil");
  });

  it("offers write blocks first after compensate:, read-only blocks for an agent's tools", () => {
    const comp = complete(q2c, "compensate: billing.account.archive@1", `compensate: ${CURSOR}`);
    const archive = item(comp, "billing.account.archive@1");
    const get = item(comp, "billing.account.get@1");
    expect(archive.sortText! < get.sortText!).toBe(true);

    const tools = complete(
      template("lead-routing"),
      "      fallbackRoute: sales\n",
      `      fallbackRoute: sales\n      tools:\n        - ${CURSOR}\n`,
    );
    expect(labels(tools)).toContain("crm.contact.get@1");
    expect(labels(tools)).not.toContain("crm.contact.update@1"); // a write
    expect(labels(tools)).not.toContain("agent.classify@1");
  });

  it("works in a nested step (control.foreach's do)", () => {
    const text = addStep(
      q2c,
      `  - id: each\n    uses: control.foreach@1\n    with:\n      items: [a]\n      do:\n        uses: ${CURSOR}`,
    );
    const r = complete(text, CURSOR, CURSOR);
    expect(labels(r)).toContain("crm.contact.update@1");
  });
});

describe("completion inside with:", () => {
  it("offers the block's inputs not yet written, required first, with types and docs", () => {
    const r = complete(
      q2c,
      "      note: Invoiced on signature\n",
      `      note: Invoiced on signature\n      ${CURSOR}\n`,
    );
    // crm.deal.update@1 inputs minus the written id, stage and note.
    const props = Object.keys(
      (registry.get("crm.deal.update", 1)!.inputSchema.properties ?? {}) as object,
    );
    expect(new Set(labels(r))).toEqual(
      new Set(props.filter((p) => !["id", "stage", "note"].includes(p))),
    );
    for (const i of r.items) expect(i.kind).toBe("input");
  });

  it("inserts a choice for enums, the default for defaults, a block for objects", () => {
    const r = complete(
      q2c,
      "      stage: closed_won\n      note: Invoiced on signature\n",
      `      ${CURSOR}\n`,
    );
    const stage = item(r, "stage");
    expect(stage.snippet).toBe(true);
    expect(stage.insertText).toBe(
      "stage: ${1|qualification,proposal,negotiation,closed_won,closed_lost|}",
    );
    expect(stage.detail).toContain("crm.deal.update");
    expect(docs(stage)).toContain("Pipeline stage");

    const acc = complete(
      q2c,
      "      currency: ${{ steps.contract.output.currency }}\n    compensate",
      `      ${CURSOR}\n    compensate`,
    );
    expect(item(acc, "currency").detail).toMatch(/string · required/);
    const invoice = complete(q2c, "      taxMode: exclusive\n", `      ${CURSOR}\n`);
    expect(item(invoice, "taxMode").insertText).toMatch(/^taxMode: \$\{1\|/);
    // Required inputs sort before optional ones.
    const fresh = complete(
      addStep(q2c, `  - id: inv2\n    uses: billing.invoice.create@4\n    with:\n      ${CURSOR}`),
      CURSOR,
      CURSOR,
    );
    const required = fresh.items.filter((i) => i.detail!.includes("required"));
    const optional = fresh.items.filter((i) => !i.detail!.includes("required"));
    expect(required.map((i) => i.label)).toEqual(
      expect.arrayContaining(["accountId", "currency", "lines"]),
    );
    expect(required.every((q) => optional.every((o) => q.sortText! < o.sortText!))).toBe(true);
    expect(item(fresh, "lines").insertText).toBe("lines:\n  - $0");
    // A default that is not a choice is the snippet's placeholder, and the docs say it.
    const each = complete(
      addStep(q2c, `  - id: each\n    uses: control.foreach@1\n    with:\n      ${CURSOR}`),
      CURSOR,
      CURSOR,
    );
    expect(item(each, "concurrency").insertText).toBe("concurrency: ${1:1}");
    expect(item(each, "concurrency").detail).toMatch(/^integer/);
    expect(docs(item(each, "concurrency"))).toContain("default `1`");
    expect(item(each, "continueOnError").insertText).toBe("continueOnError: ${1|false,true|}");
  });

  it("completes a key being typed and the keys of nested objects and list items", () => {
    const typed = edit(q2c, "      stage: closed_won\n", `      sta${CURSOR}\n`);
    const r = completionsAt(typed.text, typed.offset, env)!;
    expect(typed.text.slice(r.span.start, r.span.end)).toBe("sta");
    expect(labels(r)).toContain("stage");

    // billing.invoice.create's `lines` items.
    const line = complete(q2c, "          quantity: 1\n", `          ${CURSOR}\n`);
    expect(labels(line)).toContain("quantity");
    expect(labels(line)).not.toContain("description");

    // crm-billing-sync: `customer` of billing.account.upsert@2.
    const sync = template("crm-billing-sync");
    const customer = complete(
      sync,
      "        email: billing@${{ steps.company.output.domain }}\n",
      `        ${CURSOR}\n`,
    );
    expect(labels(customer)).toEqual(["email"]);
  });

  it("offers allowed values, the default and references with the input's name", () => {
    const stage = complete(q2c, "stage: closed_won", `stage: ${CURSOR}`);
    expect(labels(stage).slice(0, 5)).toEqual([
      "qualification",
      "proposal",
      "negotiation",
      "closed_won",
      "closed_lost",
    ]);
    expect(item(stage, "${{ }}").retrigger).toBe(true);

    // `currency` of the account step: the contract's output has a `currency` field.
    const cur = complete(
      q2c,
      "currency: ${{ steps.contract.output.currency }}\n    compensate",
      `currency: ${CURSOR}\n    compensate`,
    );
    expect(labels(cur)).toContain("${{ steps.contract.output.currency }}");

    // crm-billing-sync declares a `currency` input.
    const sync = complete(
      template("crm-billing-sync"),
      "currency: ${{ inputs.currency }}",
      `currency: ${CURSOR}`,
    );
    expect(labels(sync)).toContain("${{ inputs.currency }}");

    // A boolean with a default: control.foreach's continueOnError.
    const each = addStep(
      q2c,
      `  - id: each\n    uses: control.foreach@1\n    with:\n      continueOnError: ${CURSOR}`,
    );
    const b = complete(each, CURSOR, CURSOR);
    expect(labels(b).slice(0, 2)).toEqual(["false", "true"]);
    expect(b.items[0]!.detail).toBe("default");
  });
});

describe("completion of needs", () => {
  it("offers the steps this one may wait for: not itself, not its dependents, not those listed", () => {
    const r = complete(q2c, "needs: [invoice]", `needs: [invoice, ${CURSOR}]`);
    expect(labels(r)).toEqual(["account", "contract"]);
    expect(item(r, "account").insertText).toBe("account");

    // `account` is read by `invoice` and (through it) needed by `deal`.
    const acc = complete(
      q2c,
      "    compensate: billing",
      `    needs: [${CURSOR}]\n    compensate: billing`,
    );
    expect(labels(acc)).toEqual(["contract"]);

    const block = complete(
      q2c,
      "    needs: [invoice]\n",
      `    needs:\n      - invoice\n      - ${CURSOR}\n`,
    );
    expect(labels(block)).toEqual(["account", "contract"]);
  });
});

describe("completion inside ${{ }}", () => {
  it("offers the roots, the CEL functions and literals at the top", () => {
    const r = complete(q2c, "note: Invoiced on signature", `note: \${{ ${CURSOR} }}`);
    expect(labels(r).slice(0, 4)).toEqual(["inputs", "steps", "secrets", "run"]);
    expect(item(r, "steps").insertText).toBe("steps.");
    expect(item(r, "steps").retrigger).toBe(true);
    expect(labels(r)).toEqual(
      expect.arrayContaining(["size", "has", "int", "string", "timestamp", "duration", "true"]),
    );
    expect(item(r, "size").insertText).toBe("size(${1})");
    expect(labels(r)).not.toContain("item");
  });

  it("offers the flow's inputs with their types", () => {
    const r = complete(q2c, "${{ inputs.contractId }}", `\${{ inputs.${CURSOR} }}`);
    expect(labels(r)).toEqual(declaredInputs(q2c));
    expect(labels(r)).toContain("contractId");
    expect(item(r, "contractId").detail).toBe("string");
    expect(docs(item(r, "contractId"))).toContain("^CTR-[0-9]+$");

    const renewal = complete(
      template("contract-renewal"),
      "termMonths: ${{ inputs.termMonths }}",
      `termMonths: \${{ inputs.${CURSOR} }}`,
    );
    expect(labels(renewal)).toEqual(declaredInputs(template("contract-renewal")));
    expect(docs(item(renewal, "termMonths"))).toContain("default `12`");
  });

  it("offers the steps this one may read, nearest first, inserting `<id>.output.`", () => {
    const r = complete(
      q2c,
      "accountId: ${{ steps.account.output.accountId }}",
      `accountId: \${{ steps.${CURSOR} }}`,
    );
    // The invoice step reads account and contract; deal needs invoice: not offered.
    expect(labels(r)).toEqual(["account", "contract"]);
    const account = item(r, "account");
    expect(account.insertText).toBe("account.output.");
    expect(account.retrigger).toBe(true);
    expect(account.detail).toContain("billing.account.upsert@2");
    expect(docs(account)).toContain("`creditLimit`");
  });

  it("writes an id with a dash as an index, from the dot on", () => {
    const { text, offset } = edit(
      referenceExample,
      "note: ${{ steps.welcome.output.subject }}",
      `note: \${{ steps.cre${CURSOR} }}`,
    );
    const r = completionsAt(text, offset, env)!;
    const credit = item(r, "credit-check");
    expect(credit.insertText).toBe("['credit-check'].output.");
    expect(text.slice(credit.span!.start, credit.span!.end)).toBe(".cre");
    expect(credit.filterText).toBe(".credit-check");
  });

  it("offers the output fields of a step from its block's output schema", () => {
    const r = complete(
      q2c,
      "accountId: ${{ steps.account.output.accountId }}",
      `accountId: \${{ steps.account.output.${CURSOR} }}`,
    );
    expect(labels(r)).toEqual(["accountId", "creditLimit", "status", "created"]);
    expect(item(r, "status").detail).toBe('"active" | "on_hold" | "archived"');
    expect(item(r, "created").detail).toBe("boolean · optional");

    const nested = complete(
      q2c,
      "accountId: ${{ steps.account.output.accountId }}",
      `accountId: \${{ steps.contract.output.customer.${CURSOR} }}`,
    );
    expect(labels(nested)).toEqual(["id", "name", "email"]);

    // `steps.<id>.` offers `output`.
    const out = complete(
      q2c,
      "${{ steps.account.output.accountId }}",
      `\${{ steps.account.${CURSOR} }}`,
    );
    expect(labels(out)).toEqual(["output"]);
    expect(item(out, "output").insertText).toBe("output.");
  });

  it("reads an agent's output from its literal `with.output` schema, and index-style ids", () => {
    const subject = complete(
      referenceExample,
      "note: ${{ steps.welcome.output.subject }}",
      `note: \${{ steps.welcome.output.${CURSOR} }}`,
    );
    expect(labels(subject)).toEqual(["subject", "body"]);

    const credit = complete(
      referenceExample,
      "note: ${{ steps.welcome.output.subject }}",
      `note: \${{ steps['credit-check'].output.${CURSOR} }}`,
    );
    expect(labels(credit)).toEqual(["passed", "decision"]);

    const quoted = complete(
      referenceExample,
      "note: ${{ steps.welcome.output.subject }}",
      `note: \${{ steps['cre${CURSOR}'] }}`,
    );
    expect(labels(quoted)).toContain("credit-check");
    expect(item(quoted, "credit-check").insertText).toBe("credit-check");
  });

  it("offers the workspace's secrets and the run's fields", () => {
    const s = complete(q2c, "note: Invoiced on signature", `note: \${{ secrets.${CURSOR} }}`);
    expect(labels(s)).toEqual(["STRIPE_KEY", "SLACK_WEBHOOK"]);
    expect(item(s, "STRIPE_KEY").kind).toBe("secret");
    const none = complete(q2c, "note: Invoiced on signature", `note: \${{ secrets.${CURSOR} }}`, {
      registry,
    });
    expect(none.items).toEqual([]);

    const run = complete(q2c, "note: Invoiced on signature", `note: Run \${{ run.${CURSOR} }}`);
    expect(labels(run)).toEqual(["id", "flow", "version", "workflowId", "startedBy"]);
  });

  it("offers member functions by the value's type", () => {
    const str = complete(
      q2c,
      "note: Invoiced on signature",
      `note: \${{ steps.contract.output.currency.${CURSOR} }}`,
    );
    expect(labels(str)).toEqual(
      expect.arrayContaining(["contains", "startsWith", "endsWith", "matches", "size"]),
    );
    expect(labels(str)).not.toContain("all");
    expect(item(str, "startsWith").insertText).toBe("startsWith(${1})");

    const list = complete(
      template("contract-renewal"),
      "note: Renewal sent for signature",
      `note: \${{ steps.renew.output.id.size() > 0 && [1].${CURSOR} }}`,
    );
    // After a literal or a call the type is unknown: every member function.
    expect(labels(list)).toEqual(
      expect.arrayContaining(["all", "exists", "map", "filter", "contains"]),
    );
  });

  it("offers item and index inside a foreach's inputs only", () => {
    const text = addStep(
      q2c,
      `  - id: each\n    uses: control.foreach@1\n    with:\n      items: \${{ [1] }}\n      do:\n        uses: crm.deal.update@1\n        with:\n          note: \${{ ${CURSOR} }}`,
    );
    const r = complete(text, CURSOR, CURSOR);
    expect(labels(r)).toEqual(expect.arrayContaining(["item", "index"]));
    const items = addStep(
      q2c,
      `  - id: each\n    uses: control.foreach@1\n    with:\n      items: \${{ ${CURSOR} }}`,
    );
    expect(labels(complete(items, CURSOR, CURSOR))).not.toContain("item");
  });

  it("completes while the expression is unclosed and the YAML elsewhere is broken", () => {
    const broken = q2c.replace("description: Provision", 'description: "Provision');
    const r = complete(broken, "note: Invoiced on signature", `note: \${{ steps.${CURSOR}`);
    expect(labels(r)).toEqual(["invoice", "account", "contract"]);
  });

  it("offers nothing inside a string literal, after a number, in plain text", () => {
    const at = (find: string, replace: string) => {
      const e = edit(q2c, find, replace);
      return completionsAt(e.text, e.offset, env);
    };
    expect(at("note: Invoiced on signature", `note: \${{ 'steps.${CURSOR}' }}`)).toBeUndefined();
    expect(at("note: Invoiced on signature", `note: \${{ 1.${CURSOR} }}`)).toBeUndefined();
    expect(
      at("description: Provision billing", `description: Provision ${CURSOR}billing`),
    ).toBeUndefined();
    expect(at("# invoice the first", `# invoice ${CURSOR}the first`)).toBeUndefined();
    expect(at("# invoice the first", `# \${{ steps.${CURSOR} the first`)).toBeUndefined();
    expect(
      at("note: Invoiced on signature", `note: Invoiced ${CURSOR}on signature`),
    ).toBeUndefined();
  });
});

describe("completion in bare-CEL inputs", () => {
  it("completes policy.check's rule, on its line and in a block scalar", () => {
    const rule = complete(
      referenceExample,
      "rule: steps.account.output.creditLimit <= 50000.0",
      `rule: steps.account.output.${CURSOR}`,
    );
    expect(labels(rule)).toContain("creditLimit");

    const block = complete(
      referenceExample,
      "rule: steps.account.output.creditLimit <= 50000.0",
      `rule: |\n        steps.account.output.creditLimit > 0 &&\n          steps.contract.output.${CURSOR}`,
    );
    expect(labels(block)).toContain("currency");

    // control.branch's condition (a CEL string evaluated by the block).
    const branch = complete(
      template("invoice-dunning"),
      "condition: steps.invoice.output.status",
      `condition: steps.invoice.output.${CURSOR}`,
    );
    expect(labels(branch)).toContain("status");
  });

  it("completes control.switch's `when`, in block and flow style", () => {
    const sw = (cases: string) =>
      complete(
        addStep(
          q2c,
          `  - id: route\n    uses: control.switch@1\n    needs: [deal]\n    with:\n      cases:\n${cases}`,
        ),
        CURSOR,
        CURSOR,
      );
    const block = sw(`        - label: big\n          when: steps.account.output.${CURSOR}\n`);
    expect(block.context).toBe("cel");
    expect(labels(block)).toEqual(["accountId", "creditLimit", "status", "created"]);

    const flow = sw(
      `        - { label: big, when: steps.${CURSOR} }\n        - { label: s, when: x }\n`,
    );
    expect(labels(flow)).toEqual(["deal", "invoice", "account", "contract"]);
    expect(item(flow, "account").insertText).toBe("account.output.");
    const quoted = sw(`        - { label: big, when: "inputs.${CURSOR}" }\n`);
    expect(labels(quoted)).toEqual(declaredInputs(q2c));
    const oneLine = complete(
      addStep(
        q2c,
        `  - id: route\n    uses: control.switch@1\n    with:\n      cases: [{ label: a, when: "steps.contract.output.${CURSOR}" }]`,
      ),
      CURSOR,
      CURSOR,
    );
    expect(labels(oneLine)).toContain("currency");

    // A key of a flow mapping replaces what is typed of it, not the mapping; a label is no CEL.
    const { text, offset } = edit(
      addStep(
        q2c,
        `  - id: route\n    uses: control.switch@1\n    with:\n      cases:\n        - { label: big, wh${CURSOR} }`,
      ),
      CURSOR,
      CURSOR,
    );
    const key = completionsAt(text, offset, env)!;
    expect(text.slice(key.span.start, key.span.end)).toBe("wh");
    expect(item(key, "when").insertText).toBe("when: $0");
    const label = edit(
      addStep(
        q2c,
        `  - id: route\n    uses: control.switch@1\n    with:\n      cases:\n        - { label: bi${CURSOR}, when: x }`,
      ),
      CURSOR,
      CURSOR,
    );
    expect(completionsAt(label.text, label.offset, env)).toBeUndefined();
  });

  it("completes a bare `if:` condition", () => {
    const r = complete(
      q2c,
      "    needs: [invoice]\n",
      `    needs: [invoice]\n    if: inputs.${CURSOR}\n`,
    );
    expect(labels(r)).toEqual(declaredInputs(q2c));
  });
});

describe("completion on a large flow", () => {
  it("finds the step and its upstream steps in a 500-step flow", () => {
    const steps = Array.from(
      { length: 500 },
      (_, i) =>
        `  - id: s${i}\n    uses: crm.contact.get@1\n    with:\n      id: \${{ ${i === 0 ? "inputs.contactId" : `steps.s${i - 1}.output.id`} }}\n`,
    ).join("");
    const text = `flow: big\nversion: 1.0.0\ninputs:\n  contactId: { type: string }\nsteps:\n${steps}`;
    const r = complete(text, "steps.s498.output.id", `steps.s498.output.${CURSOR}`);
    expect(labels(r)).toContain("email");
    // In s251 every later step depends on it: s0..s250 are readable, nearest first, and the
    // list is cut at STEP_LIST_LIMIT (asked for again as more is typed).
    const ids = complete(text, "steps.s250.output.id", `steps.${CURSOR}`);
    expect(ids.items).toHaveLength(STEP_LIST_LIMIT);
    expect(ids.items[0]!.label).toBe("s250");
    expect(ids.incomplete).toBe(true);
    const typed = complete(text, "steps.s250.output.id", `steps.s12${CURSOR}`);
    // Ids starting with `s12` first (nearest first), then the others holding s, 1, 2 in order.
    expect(labels(typed).slice(0, 11)).toEqual([
      "s129",
      "s128",
      "s127",
      "s126",
      "s125",
      "s124",
      "s123",
      "s122",
      "s121",
      "s120",
      "s12",
    ]);
    expect(labels(typed).every((l) => /s.*1.*2/.test(l))).toBe(true);
    expect(labels(typed)).toContain("s12");
    expect(labels(typed)).not.toContain("s251");
    const needs = complete(
      text,
      "    uses: crm.contact.get@1\n    with:\n      id: ${{ steps.s250",
      `    needs: [s4${CURSOR}]\n    uses: crm.contact.get@1\n    with:\n      id: \${{ steps.s250`,
    );
    expect(needs.incomplete).toBe(true);
    expect(labels(needs)).toContain("s4");
    // A small flow's list is complete: the editor filters it.
    expect(
      complete(q2c, "${{ steps.account.output.accountId }}", `\${{ steps.${CURSOR} }}`).incomplete,
    ).toBeUndefined();
  });
});
