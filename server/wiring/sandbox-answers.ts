/**
 * What a sandbox session answers from (issue 16), for the sandbox routing
 * (`sandbox-runtimes.ts`): the connector answers copied from a run (`sandbox.fromRun`), matched
 * by operation and request, and the session's scripted model, served by the demo model's
 * endpoint in scripted mode. Repetitions are counted per run: the Nth identical call of a run
 * gets the Nth answer (past the last, the last repeats).
 */
import OpenAI from "openai";
import type { AgentRuntimeOptions } from "@/server/adapters/llm/agent-runtime";
import { demoModelConfig, type ModelConfig } from "@/server/adapters/llm/config";
import { DEMO_MODEL_BASE_URL } from "@/server/adapters/llm/demo-model/constants";
import { RepetitionCounter, type ScriptSource } from "@/server/adapters/llm/demo-model/scripted";
import { scriptedModelFetch } from "@/server/adapters/llm/demo-model/scripted-fetch";
import { connectorAnswersOf, pickConnectorAnswer } from "@/server/domain/sandbox/from-run";
import { requestHash } from "@/server/domain/sandbox/recorded-answers";
import { loadScriptContent, sessionAnswers } from "@/server/domain/sandbox/scripted-models";
import type { Db } from "@/server/domain/types";
import { EngineError, RetryAfterError, type Classification } from "@/server/engine/errors";
import type { BlockRuntime, RuntimeRequest } from "@/server/engine/ports";
import { redactUrlCredentials } from "@/server/engine/redact";

/**
 * OpenAI clients whose calls the workspace's scripted models answer in-process (no socket),
 * counting repetitions per `counterKey` in `counter`.
 */
export function scriptedClientFor(
  db: Db,
  workspaceId: string,
  counter: RepetitionCounter,
  counterKey: string,
): (m: ModelConfig) => OpenAI {
  const source: ScriptSource = { load: (id) => loadScriptContent(db, workspaceId, id) };
  const fetch = scriptedModelFetch({ source, counter, counterKey });
  return (m) =>
    new OpenAI({
      baseURL: DEMO_MODEL_BASE_URL,
      apiKey: "not-needed",
      maxRetries: 0,
      timeout: m.timeoutMs ?? 600_000,
      fetch,
    });
}

/** The model config of a session's scripted model: the demo model's, another `model`. */
export function scriptedModelConfig(scriptId: string): ModelConfig {
  return { ...demoModelConfig(), model: `scripted/${scriptId}` };
}

export interface SandboxAnswers {
  /**
   * The recorded answer to a session run's connector call: `{ output }`, or the recorded error
   * thrown; undefined when the session holds none for the call (it goes to the mocks).
   */
  connector(req: RuntimeRequest): Promise<{ output: unknown } | undefined>;
  /**
   * The agent runtime of a session run whose session has a scripted model (built with `build`
   * and the scripted model in place of the demo model); undefined: none attached.
   */
  scriptedAgent(
    req: RuntimeRequest,
    build: (extra: Partial<AgentRuntimeOptions>) => BlockRuntime,
  ): Promise<BlockRuntime | undefined>;
}

/** Sessions whose connector answers are kept parsed in memory (the most recently used). */
const CACHED_SESSIONS = 8;

export function sandboxAnswers(db: Db): SandboxAnswers {
  const connectorCalls = new RepetitionCounter(20_000);
  const modelCalls = new RepetitionCounter(20_000);
  // A session's connector answers are written once, when `sandbox.fromRun` creates it: read and
  // parsed once per session, not at every connector call of its runs.
  const answersBySession = new Map<string, ReturnType<typeof connectorAnswersOf>>();
  async function connectorAnswersOfSession(workspaceId: string, sessionId: string) {
    const key = `${workspaceId}\u0000${sessionId}`;
    let answers = answersBySession.get(key);
    if (answers) {
      answersBySession.delete(key);
    } else {
      const held = await sessionAnswers(db, workspaceId, sessionId);
      answers = connectorAnswersOf(held?.connectorAnswers);
      if (answersBySession.size >= CACHED_SESSIONS)
        answersBySession.delete(answersBySession.keys().next().value!);
    }
    answersBySession.set(key, answers);
    return answers;
  }
  return {
    async connector(req) {
      const sessionId = req.run.sandboxSessionId;
      if (!sessionId) return undefined;
      const answers = await connectorAnswersOfSession(req.run.workspaceId, sessionId);
      if (answers.length === 0) return undefined;
      // Matched as recorded: stored inputs have URL credentials stripped.
      const hash = requestHash(req.block.id, redactUrlCredentials(req.inputs));
      if (!answers.some((a) => a.blockId === req.block.id && a.requestHash === hash)) {
        return undefined;
      }
      const n = connectorCalls.next(`${req.run.id}\u0000${req.block.id}\u0000${hash}`);
      const a = pickConnectorAnswer(answers, req.block.id, hash, n);
      if (!a) return undefined;
      if (a.ok) return { output: a.output };
      const detail = { ...a.error.detail, replayed: true };
      const classification = {
        severity: a.error.classification.severity as Classification["severity"],
        category: a.error.classification.category as Classification["category"],
      };
      const err =
        a.error.retryAfterMs !== undefined
          ? new RetryAfterError(a.error.retryAfterMs, a.error.message, { classification, detail })
          : new EngineError(a.error.message, a.error.retryable, classification, { detail });
      err.name = a.error.name;
      throw err;
    },
    async scriptedAgent(req, build) {
      const sessionId = req.run.sandboxSessionId;
      if (!sessionId) return undefined;
      const held = await sessionAnswers(db, req.run.workspaceId, sessionId);
      const scriptId = held?.scriptedModelId;
      if (!scriptId) return undefined;
      const workspaceId = req.run.workspaceId;
      return build({
        models: [scriptedModelConfig(scriptId)],
        clientFor: scriptedClientFor(db, workspaceId, modelCalls, req.run.id),
      });
    },
  };
}
