/**
 * The agent runtime's memory context: what a flow remembers is recalled into the prompt (nearest
 * flow first, facts before recent context, capped, PII-guarded), and each answer is remembered
 * as `context` of the flow.
 */
import type {
  AgentExecution,
  AgentMemoryPort,
  MemoryItem,
  PiiPolicy,
} from "@/server/domain/agent/ports";
import type { PiiGuard } from "./agent-pii";
import type { AgentDecision, AgentLogger } from "./ports";

/** The flows whose memory a step reads, nearest first (a sub-flow's chain reversed). */
export function memoryFlows(exec: AgentExecution): string[] {
  return exec.flowChain?.length ? [...exec.flowChain].reverse() : exec.flow ? [exec.flow] : [];
}

/** Facts first (nearest flow wins on a key), then recent context, within `maxChars`. */
export function renderMemory(items: MemoryItem[], maxChars: number): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  const ordered = [
    ...items.filter((i) => i.kind === "fact"),
    ...items.filter((i) => i.kind === "context"),
  ];
  let used = 0;
  for (const i of ordered) {
    if (i.kind === "fact") {
      if (seen.has(i.key)) continue;
      seen.add(i.key);
    }
    const line = i.kind === "fact" ? `- fact ${i.key}: ${i.content}` : `- recent: ${i.content}`;
    if (used + line.length + 1 > maxChars) break;
    lines.push(line);
    used += line.length + 1;
  }
  return lines.join("\n");
}

/**
 * The memory text for the prompt ("" when there is none), guarded for PII like the prompt; a
 * `memory` decision records how many items and characters went in.
 */
export async function recallMemory(c: {
  memory: AgentMemoryPort | undefined;
  exec: AgentExecution;
  flows: string[];
  maxChars: number;
  pii: PiiGuard;
  policy: PiiPolicy;
  decisions: AgentDecision[];
  logCtx: Record<string, unknown>;
}): Promise<string> {
  if (!c.memory || !c.flows.length) return "";
  const items = await c.memory.recall({
    workspaceId: c.exec.workspaceId,
    flows: c.flows,
    limit: 50,
  });
  let memoryText = renderMemory(items, c.maxChars);
  if (memoryText) {
    memoryText = c.pii.guard(memoryText, c.policy, "prompt", c.decisions, c.logCtx);
    c.decisions.push({ type: "memory", items: items.length, chars: memoryText.length });
  }
  return memoryText;
}

/** Stores the answer as `context` memory of `flow`; a failed write is logged, never thrown. */
export async function rememberAnswer(c: {
  memory: AgentMemoryPort | undefined;
  enabled: boolean;
  log: AgentLogger;
  exec: AgentExecution;
  flow: string | undefined;
  blockId: string;
  output: Record<string, unknown>;
}): Promise<void> {
  const { exec } = c;
  if (!c.memory || !c.enabled || !c.flow) return;
  try {
    await c.memory.remember({
      workspaceId: exec.workspaceId,
      flow: c.flow,
      kind: "context",
      key: `${exec.runId}:${exec.stepId}`,
      content: `${c.blockId} (${exec.stepId}): ${JSON.stringify(c.output)}`.slice(0, 2000),
    });
  } catch (err) {
    c.log.warn(
      { runId: exec.runId, stepId: exec.stepId, error: (err as Error).message },
      "agent memory write failed",
    );
  }
}
