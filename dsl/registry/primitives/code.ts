/**
 * Sandboxed code blocks. The sandbox has no network and no file system, so the blocks have no side
 * effect of their own; their trust is lower than a typed connector's because the code is arbitrary.
 */
import type { BlockDefinition, JsonSchema } from "../../types";
import { arr, obj, str } from "./json-schema";

const codeInputs = (language: string): JsonSchema =>
  obj(
    {
      source: str(
        `${language} source; the value of the last expression (or \`return\`) is the result`,
        {
          minLength: 1,
          maxLength: 100000,
        },
      ),
      inputs: { type: "object", description: "Bound to `inputs` in the code" },
      timeoutMs: { type: "integer", minimum: 10, maximum: 30000, default: 5000 },
      memoryMb: { type: "integer", minimum: 16, maximum: 512, default: 128 },
    },
    ["source"],
  );
const codeOutput: JsonSchema = obj({ result: {}, logs: arr(str()) }, ["result", "logs"]);
const code = {
  kind: "code",
  sideEffect: "none",
  baselineTrust: 0.85,
  sla: { tier: "T2", timeoutMs: 30000 },
} satisfies Partial<BlockDefinition>;

/** Code blocks. */
export const codeBlocks: BlockDefinition[] = [
  {
    ...code,
    id: "code.js",
    version: "1.0.0",
    title: "JavaScript (sandboxed)",
    docs: "Runs JavaScript in an isolated sandbox: no network, no file system, no timers beyond `timeoutMs`. `console.log` lines are returned in `logs`.",
    inputSchema: codeInputs("JavaScript"),
    outputSchema: codeOutput,
    example: {
      source: "return inputs.lines.reduce((s, l) => s + l.qty * l.price, 0);",
      inputs: { lines: [] },
    },
    tags: ["code", "sandbox", "javascript"],
  },
  {
    ...code,
    id: "code.python",
    version: "1.0.0",
    title: "Python (sandboxed)",
    docs: "Runs Python 3 in an isolated sandbox (standard library only, no network). `print` lines are returned in `logs`.",
    inputSchema: codeInputs("Python"),
    outputSchema: codeOutput,
    example: {
      source: "return sum(l['qty'] * l['price'] for l in inputs['lines'])",
      inputs: { lines: [] },
    },
    tags: ["code", "sandbox", "python"],
  },
];
