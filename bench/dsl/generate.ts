/**
 * Generates realistic flows of any size for the compiler benchmark: a CRM read fans into billing
 * writes, agents, policy checks and transforms, with data references and explicit needs to
 * recent steps (the shape real flows have: mostly local dependencies).
 */

/** A flow document with `n` steps, as YAML text. Deterministic for a given `n`. */
export function generateFlow(n: number): string {
  const lines: string[] = [
    `flow: generated-${n}`,
    "version: 1.0.0",
    `description: Generated flow with ${n} steps`,
    "sla: T1",
    "consent:",
    "  purposes: [billing, marketing]",
    "trigger:",
    "  manual: {}",
    "inputs:",
    "  contactId:",
    "    type: string",
    "  amount:",
    "    type: number",
    "    default: 100",
    "steps:",
  ];
  let seed = 42;
  const rand = (k: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % k;
  };
  const kinds: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `s${i}`;
    const prev = (k: string) => {
      // The nearest earlier step of kind k within the last 20 steps.
      for (let j = i - 1; j >= Math.max(0, i - 20); j--) if (kinds[j] === k) return `s${j}`;
      return undefined;
    };
    const contact = prev("contact");
    const choice = i === 0 || !contact ? 0 : rand(5);
    lines.push(`  - id: ${id}`);
    if (choice === 0) {
      kinds.push("contact");
      lines.push("    uses: crm.contact.get@1", "    with:", "      id: ${{ inputs.contactId }}");
    } else if (choice === 1) {
      kinds.push("transform");
      lines.push(
        "    uses: data.transform@1",
        "    with:",
        "      fields:",
        `        name: steps.${contact}.output.firstName + ' ' + steps.${contact}.output.lastName`,
      );
    } else if (choice === 2) {
      kinds.push("check");
      lines.push(
        "    uses: policy.check@1",
        `    needs: [${contact}]`,
        "    with:",
        "      rule: inputs.amount <= 50000.0",
        "      otherwise: continue",
      );
    } else if (choice === 3) {
      kinds.push("summary");
      lines.push(
        "    uses: agent.summarize@1",
        "    with:",
        `      text: Customer \${{ steps.${contact}.output.firstName }} \${{ steps.${contact}.output.lastName }}`,
        "    model:",
        "      route: summarization",
        "      budget_usd: 0.02",
      );
    } else {
      kinds.push("update");
      const dep = prev("check") ?? contact;
      lines.push(
        "    uses: crm.contact.update@1",
        `    needs: [${dep}]`,
        "    with:",
        `      id: \${{ steps.${contact}.output.id }}`,
        "      lifecycle: customer",
        "    retry:",
        "      max: 3",
        "    timeout: 20s",
      );
    }
  }
  return lines.join("\n") + "\n";
}
