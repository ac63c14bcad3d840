/**
 * Output validation of an agent answer: structural JSON repair, then ONE repair request with the
 * validation errors, then an {@link AgentOutputError} naming the fields.
 */
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { EngineError } from "@/server/engine/errors";
import { repairJson } from "@/server/engine/runtimes/json-repair";
import type { AgentDecision } from "./ports";
import { describeErrors, errorFields, validatorFor, type TaskPrompt } from "./tasks";

/** The answer of the model failed validation after structural repair and one repair request. */
export class AgentOutputError extends EngineError {
  constructor(
    message: string,
    readonly fields: string[],
    readonly errors: string[],
  ) {
    // Retryable: a model may well answer correctly on the engine's next attempt.
    super(
      message,
      true,
      { severity: "medium", category: "validation" },
      { detail: { fields, errors } },
    );
    this.name = "AgentOutputError";
  }
}

export type AnswerCheck =
  | { ok: false; errors: string[]; changes: string[] }
  | { ok: true; value: Record<string, unknown>; changes: string[]; repaired: boolean };

/** `text` repaired structurally and checked against the answer schema of `prompt`. */
export function checkAnswer(prompt: TaskPrompt, text: string | null): AnswerCheck {
  const validate = validatorFor(prompt.answerSchema);
  const parsed = repairJson(text ?? "");
  if (!parsed.ok)
    return { ok: false, errors: [`(root): ${parsed.error}`], changes: parsed.changes };
  if (!validate(parsed.value)) {
    return { ok: false, errors: describeErrors(validate.errors), changes: parsed.changes };
  }
  return {
    ok: true,
    value: parsed.value as Record<string, unknown>,
    changes: parsed.changes,
    repaired: parsed.repaired,
  };
}

/**
 * The finished answer from the model's last reply `content`: valid (after structural repair,
 * recorded as a `repair` decision), or valid after one repair request sent with `ask` (the
 * conversation gets the answer and the errors), or an {@link AgentOutputError}.
 */
export async function settleAnswer(c: {
  modelName: string;
  prompt: TaskPrompt;
  content: string | null;
  messages: ChatCompletionMessageParam[];
  decisions: AgentDecision[];
  /** Sends the conversation once more; resolves to the reply's content. */
  ask: () => Promise<string | null>;
}): Promise<Record<string, unknown>> {
  const { prompt, messages } = c;
  const first = checkAnswer(prompt, c.content);
  if (first.ok) {
    if (first.repaired)
      c.decisions.push({ type: "repair", stage: "structural", changes: first.changes });
    return prompt.finish(first.value);
  }
  c.decisions.push({
    type: "repair",
    stage: "request",
    changes: first.changes,
    errors: first.errors,
  });
  messages.push({ role: "assistant", content: c.content ?? "" });
  messages.push({
    role: "user",
    content: `Your answer is not valid:\n${first.errors.map((e) => `- ${e}`).join("\n")}\nReply with the corrected JSON object only.`,
  });
  const second = checkAnswer(prompt, await c.ask());
  if (second.ok) return prompt.finish(second.value);
  const fields = errorFields(second.errors);
  throw new AgentOutputError(
    `${c.modelName} returned an invalid answer for ${prompt.block.id} even after a repair request: ${second.errors.join("; ")}`,
    fields,
    second.errors,
  );
}
