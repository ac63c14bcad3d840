/**
 * The prompt hash of a chat request (issue 16, scripted models): what a recorded model answer is
 * keyed by, computed the same way where answers are recorded (`conversation.ts`, from the SDK's
 * messages) and where they are served (`scripted.ts`, from the request body): SHA-256 over the
 * messages' roles and texts (text parts joined by a newline; tool calls and names left out).
 *
 * The flow's memory (the system message `agent-runtime.ts` adds, "What this flow remembers …")
 * is left out: it changes from run to run and a sandbox run has none, so a prompt recorded in
 * a real run still matches its replay in a session.
 */
import { createHash } from "node:crypto";

/** A message as the hash sees it. */
export interface HashedMessage {
  role: string;
  text: string;
}

/** The text of a message's `content` (a string, or text parts joined by a newline). */
export function messageText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((p) =>
        p && typeof p === "object" && typeof (p as { text?: unknown }).text === "string"
          ? (p as { text: string }).text
          : "",
      )
      .join("\n");
  }
  return "";
}

/** The start of the memory message `agent-runtime.ts` adds to a prompt (left out of the hash). */
export const MEMORY_MESSAGE_PREFIX = "What this flow remembers (most relevant first):\n";

/** `sha256:<hex>` of the messages' roles and texts, in order (the flow's memory left out). */
export function promptHash(messages: readonly HashedMessage[]): string {
  const h = createHash("sha256");
  for (const m of messages) {
    if (m.role === "system" && m.text.startsWith(MEMORY_MESSAGE_PREFIX)) continue;
    h.update(m.role);
    h.update("\u0000");
    h.update(m.text);
    h.update("\u0001");
  }
  return `sha256:${h.digest("hex")}`;
}

/** The prompt hash of SDK-shaped messages (`{ role, content }`). */
export function promptHashOf(messages: ReadonlyArray<{ role: string; content?: unknown }>): string {
  return promptHash(messages.map((m) => ({ role: m.role, text: messageText(m.content) })));
}
