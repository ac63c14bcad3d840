/** Control-flow blocks: no side effects of their own (`sideEffect: none`). */
import type { BlockDefinition } from "../../types";
import { arr, duration, nestedStep, obj, oneOfValues, str, timestamp } from "./json-schema";

const control = {
  kind: "control",
  sideEffect: "none",
  baselineTrust: 0.99,
  tags: ["control"],
} satisfies Partial<BlockDefinition>;

/** Control-flow blocks. */
export const controlBlocks: BlockDefinition[] = [
  {
    ...control,
    id: "control.branch",
    version: "1.0.0",
    title: "Branch (if / else)",
    docs: "Evaluates a CEL `condition`. Steps that read `steps.<id>.output.taken` can run on one side only (`if:`).\n\n```yaml\nwith:\n  condition: steps.account.output.creditLimit > 10000.0\n```",
    inputSchema: obj({ condition: str("CEL expression evaluating to a bool", { minLength: 1 }) }, [
      "condition",
    ]),
    outputSchema: obj({ taken: oneOfValues(["then", "else"]), value: { type: "boolean" } }, [
      "taken",
      "value",
    ]),
    example: { condition: "inputs.amount > 1000.0" },
  },
  {
    ...control,
    id: "control.switch",
    version: "1.0.0",
    title: "Switch",
    docs: "Picks the first case whose CEL `when` is true; `default` otherwise. Output `case` is the chosen label.",
    inputSchema: obj(
      {
        cases: arr(
          obj(
            {
              label: str(undefined, { pattern: "^[a-z][a-z0-9_-]*$" }),
              when: str("CEL condition"),
            },
            ["label", "when"],
          ),
          {
            minItems: 1,
            maxItems: 50,
          },
        ),
        default: str("Label when no case matches", { pattern: "^[a-z][a-z0-9_-]*$" }),
      },
      ["cases"],
    ),
    outputSchema: obj({ case: str() }, ["case"]),
    example: {
      cases: [
        { label: "enterprise", when: "inputs.seats >= 500" },
        { label: "smb", when: "inputs.seats < 500" },
      ],
      default: "smb",
    },
  },
  {
    ...control,
    id: "control.foreach",
    version: "1.1.0",
    title: "For each",
    docs: "Runs the nested block `do` once per item, at most `concurrency` at a time. Inside `do.with`, `item` and `index` are in scope.\n\n- Results keep the order of `items`.\n- With `continueOnError: false` (the default) the first failure fails the step; compensations of finished items run.",
    inputSchema: obj(
      {
        items: arr({}, { maxItems: 10000 }),
        concurrency: { type: "integer", minimum: 1, maximum: 100, default: 1 },
        do: nestedStep,
        continueOnError: { type: "boolean", default: false },
      },
      ["items", "do"],
    ),
    outputSchema: obj(
      {
        results: arr({}),
        failed: { type: "integer", minimum: 0 },
      },
      ["results", "failed"],
    ),
    example: {
      items: ["CON-1", "CON-2"],
      concurrency: 4,
      do: { uses: "crm.contact.update@1", with: { lifecycle: "customer" } },
    },
  },
  {
    ...control,
    id: "control.parallel",
    version: "1.0.0",
    title: "Parallel",
    docs: "Runs several nested blocks at the same time and waits for all of them. Output `results` is in branch order.",
    inputSchema: obj({ branches: arr(nestedStep, { minItems: 2, maxItems: 20 }) }, ["branches"]),
    outputSchema: obj({ results: arr({}) }, ["results"]),
    example: {
      branches: [
        { uses: "crm.deal.get@1", with: { id: "DEAL-311" } },
        { uses: "billing.account.get@1", with: { accountId: "ACC-5521" } },
      ],
    },
  },
  {
    ...control,
    id: "control.join",
    version: "1.0.0",
    title: "Join",
    docs: "Waits for the steps it `needs`: all of them (`mode: all`), or the first to succeed (`mode: any`, the others are cancelled).",
    inputSchema: obj({ mode: oneOfValues(["all", "any"]) }, ["mode"]),
    outputSchema: obj({ completed: arr(str("Step id")) }, ["completed"]),
    example: { mode: "all" },
  },
  {
    ...control,
    id: "control.wait",
    version: "1.0.0",
    title: "Wait",
    docs: "Pauses the run for a `duration` (`15m`, `2d`) or `until` a timestamp. A durable timer: no worker is held while waiting.",
    inputSchema: {
      ...obj({ duration, until: timestamp }),
      oneOf: [{ required: ["duration"] }, { required: ["until"] }],
    },
    outputSchema: obj({ resumedAt: timestamp }, ["resumedAt"]),
    example: { duration: "15m" },
  },
  {
    ...control,
    id: "control.subflow",
    version: "1.0.0",
    title: "Subflow",
    docs: "Runs another flow of the workspace (`name@major`) as one step and returns its outputs. The subflow's own steps carry their side effects and policies.",
    inputSchema: obj(
      {
        flow: str("Flow reference `name@major`", { pattern: "^[a-z][a-z0-9-]*@(0|[1-9][0-9]*)$" }),
        inputs: { type: "object" },
        wait: { type: "boolean", default: true, description: "false: start it and continue" },
      },
      ["flow"],
    ),
    outputSchema: obj({ runId: str(), output: { type: "object" } }, ["runId"]),
    example: { flow: "provision-workspace@1", inputs: { accountId: "ACC-5521" } },
  },
];
