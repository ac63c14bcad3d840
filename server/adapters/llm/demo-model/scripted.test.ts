import { describe, expect, it } from "vitest";
import type { ScriptContent } from "@/server/domain/sandbox/scripted-schemas";
import { ZCreateScriptInput } from "@/server/domain/sandbox/scripted-schemas";
import { DEMO_MODEL_BASE_URL } from "./constants";
import { handleDemoModel } from "./handler";
import {
  answerFromScript,
  parseScriptedModel,
  RepetitionCounter,
  ruleMatches,
  type ScriptSource,
} from "./scripted";
import { scriptedModelFetch } from "./scripted-fetch";
import { MEMORY_MESSAGE_PREFIX, messageText, promptHash, promptHashOf } from "./scripted-hash";

const SCRIPT_ID = "0b7e1f5e-5d0c-4a57-9d7e-1d2f3c4b5a69";
const user = (text: string) => [
  { role: "system", text: "You classify tickets." },
  { role: "user", text },
];

function counter() {
  const c = new RepetitionCounter();
  return (k: string) => c.next(k);
}

describe("scripted models: prompt hash", () => {
  it("hashes roles and texts, in order, and agrees between SDK messages and handler messages", () => {
    const h = promptHash(user("hello"));
    expect(h).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(promptHash(user("hello"))).toBe(h);
    expect(promptHash(user("hello!"))).not.toBe(h);
    // Role counts: the same text as a system message is another prompt.
    expect(promptHash([{ role: "system", text: "You classify tickets.hello" }])).not.toBe(h);
    expect(
      promptHashOf([
        { role: "system", content: "You classify tickets." },
        { role: "user", content: [{ type: "text", text: "hello" }] },
      ]),
    ).toBe(h);
    expect(
      messageText([
        { type: "text", text: "a" },
        { type: "text", text: "b" },
      ]),
    ).toBe("a\nb");
    expect(messageText(null)).toBe("");
    // The flow's memory (which a sandbox run has none of) is left out of the hash.
    const withMemory = [
      user("hello")[0]!,
      { role: "system", text: `${MEMORY_MESSAGE_PREFIX}- the customer is ACME` },
      user("hello")[1]!,
    ];
    expect(promptHash(withMemory)).toBe(h);
  });
});

describe("scripted models: matching", () => {
  it("matches a literal substring and an RE2 pattern", () => {
    expect(ruleMatches({ kind: "contains", value: "refund", answer: "" }, "please refund me")).toBe(
      true,
    );
    expect(ruleMatches({ kind: "contains", value: "re.und", answer: "" }, "please refund")).toBe(
      false,
    );
    expect(ruleMatches({ kind: "pattern", value: "ref(u|o)nd", answer: "" }, "a refond")).toBe(
      true,
    );
    expect(ruleMatches({ kind: "pattern", value: "^refund$", answer: "" }, "a refund")).toBe(false);
  });

  it("refuses a pattern RE2 does not take (backreferences) when the script is saved", () => {
    const bad = ZCreateScriptInput.safeParse({
      name: "x",
      rules: [{ kind: "pattern", value: "(a)\\1", answer: "{}" }],
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/Not an RE2 pattern/);
    const long = ZCreateScriptInput.safeParse({
      name: "x",
      rules: [{ kind: "contains", value: "a".repeat(501), answer: "{}" }],
    });
    expect(long.success).toBe(false);
  });

  it("answers a pathological pattern in linear time (RE2, no backtracking)", () => {
    const started = performance.now();
    const hit = ruleMatches(
      { kind: "pattern", value: "(a+)+$", answer: "" },
      `${"a".repeat(50_000)}!`,
    );
    expect(hit).toBe(false);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("prefers a recorded answer, then the first matching rule, then the fallback", () => {
    const script: ScriptContent = {
      rules: [
        { kind: "contains", value: "invoice", answer: "rule-0" },
        { kind: "pattern", value: "inv.ice|bill", answer: "rule-1" },
      ],
      recorded: [
        {
          promptHash: promptHash(user("recorded one")),
          model: "gpt",
          repetition: 1,
          content: "rec",
        },
      ],
      fallback: "demo",
    };
    const count = counter();
    expect(answerFromScript(script, user("recorded one"), null, count)).toMatchObject({
      source: "recorded",
      content: "rec",
    });
    expect(answerFromScript(script, user("my invoice"), null, count)).toEqual({
      source: "rule",
      content: "rule-0",
      rule: 0,
    });
    expect(answerFromScript(script, user("my bill"), null, count)).toMatchObject({ rule: 1 });
    expect(answerFromScript(script, user("nothing"), null, count)).toEqual({
      source: "fallback",
      fallback: "demo",
    });
  });

  it("gives the Nth identical call the Nth recorded answer; past the last, the last repeats", () => {
    const h = promptHash(user("again"));
    const script: ScriptContent = {
      rules: [],
      recorded: [
        // Stored out of order: repetitions are what count.
        { promptHash: h, model: "gpt", repetition: 2, content: "second" },
        { promptHash: h, model: "gpt", repetition: 1, content: "first" },
        { promptHash: h, model: "other", repetition: 1, content: "other-model" },
      ],
      fallback: "error",
    };
    const count = counter();
    const next = () => answerFromScript(script, user("again"), null, count);
    expect(next()).toMatchObject({ content: "first", repetition: 1, of: 2 });
    expect(next()).toMatchObject({ content: "second", repetition: 2 });
    expect(next()).toMatchObject({ content: "second", repetition: 2 });
    // Another counter (another run) starts again at 1.
    expect(answerFromScript(script, user("again"), null, counter())).toMatchObject({
      content: "first",
    });
    // A named model answers from its own recordings only.
    expect(answerFromScript(script, user("again"), "other", counter())).toMatchObject({
      content: "other-model",
    });
  });

  it("forgets the oldest counters past its bound", () => {
    const c = new RepetitionCounter(3);
    for (const k of ["a", "b", "c", "d"]) c.next(k);
    expect(c.size).toBe(3);
    expect(c.next("a")).toBe(1);
    expect(c.next("d")).toBe(2);
  });

  it("parses scripted/<id>[/<model>] and nothing else", () => {
    expect(parseScriptedModel(`scripted/${SCRIPT_ID}`)).toEqual({
      scriptId: SCRIPT_ID,
      model: null,
    });
    expect(parseScriptedModel(`scripted/${SCRIPT_ID}/gpt-4o`)).toEqual({
      scriptId: SCRIPT_ID,
      model: "gpt-4o",
    });
    expect(parseScriptedModel("scripted/not-an-id")).toBeNull();
    expect(parseScriptedModel("trustflow-demo")).toBeNull();
  });
});

describe("scripted models: served by the demo model's endpoint", () => {
  const script: ScriptContent = {
    rules: [{ kind: "contains", value: "refund", answer: '{"label":"billing"}' }],
    recorded: [
      {
        promptHash: promptHash(user("recorded")),
        model: "gpt-4o",
        repetition: 1,
        content: '{"label":"sales"}',
      },
    ],
    fallback: "demo",
  };
  const source = (s: ScriptContent | null = script): ScriptSource => ({
    load: async (id) => (id === SCRIPT_ID ? s : null),
  });
  const body = (text: string, model = `scripted/${SCRIPT_ID}`) => ({
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model,
      messages: [
        { role: "system", content: "You classify tickets." },
        { role: "user", content: text },
      ],
    }),
  });
  const post = (f: typeof fetch, text: string, model?: string) =>
    f(`${DEMO_MODEL_BASE_URL}/chat/completions`, body(text, model));

  it("answers from a recorded answer and from a rule, with OpenAI's shape", async () => {
    const f = scriptedModelFetch({ source: source(), counter: new RepetitionCounter() });
    const rec = await post(f, "recorded");
    expect(rec.status).toBe(200);
    expect(rec.headers.get("x-trustflow-scripted")).toBe("recorded");
    const json = (await rec.json()) as {
      model: string;
      choices: Array<{ message: { content: string }; finish_reason: string }>;
      usage: { total_tokens: number };
    };
    expect(json.model).toBe(`scripted/${SCRIPT_ID}`);
    expect(json.choices[0]!.message.content).toBe('{"label":"sales"}');
    expect(json.choices[0]!.finish_reason).toBe("stop");
    expect(json.usage.total_tokens).toBeGreaterThan(0);
    const rule = await post(f, "I want a refund");
    expect(rule.headers.get("x-trustflow-scripted")).toBe("rule");
    expect(((await rule.json()) as typeof json).choices[0]!.message.content).toBe(
      '{"label":"billing"}',
    );
  });

  it("falls back to the demo model's answer, or answers 422 when the script says error", async () => {
    const demo = await post(
      scriptedModelFetch({ source: source(), counter: new RepetitionCounter() }),
      "unmatched",
    );
    expect(demo.status).toBe(200);
    expect(demo.headers.get("x-trustflow-scripted")).toBe("fallback");
    const strict = await post(
      scriptedModelFetch({
        source: source({ ...script, fallback: "error" }),
        counter: new RepetitionCounter(),
      }),
      "unmatched",
    );
    expect(strict.status).toBe(422);
    expect(((await strict.json()) as { error: { code: string } }).error.code).toBe(
      "no_scripted_answer",
    );
  });

  it("answers 404 for an unknown script, and for any script over HTTP (no script source)", async () => {
    const f = scriptedModelFetch({ source: source(null), counter: new RepetitionCounter() });
    const missing = await post(f, "recorded");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe(
      "model_not_found",
    );
    const overHttp = await handleDemoModel(
      new Request("http://x/v1/chat/completions", body("recorded")),
      "chat/completions",
    );
    expect(overHttp.status).toBe(404);
    expect(((await overHttp.json()) as { error: { message: string } }).error.message).toMatch(
      /sandbox session runs only/,
    );
    // The demo model itself is unchanged.
    const plain = await handleDemoModel(
      new Request("http://x/v1/chat/completions", body("hello", "trustflow-demo")),
      "chat/completions",
    );
    expect(plain.status).toBe(200);
    expect(plain.headers.get("x-trustflow-scripted")).toBeNull();
  });

  it("counts repetitions per counter key (one run's calls never advance another's)", async () => {
    const h = promptHash(user("twice"));
    const twice: ScriptContent = {
      rules: [],
      recorded: [
        { promptHash: h, model: "m", repetition: 1, content: "one" },
        { promptHash: h, model: "m", repetition: 2, content: "two" },
      ],
      fallback: "error",
    };
    const shared = new RepetitionCounter();
    const runA = scriptedModelFetch({ source: source(twice), counter: shared, counterKey: "A" });
    const runB = scriptedModelFetch({ source: source(twice), counter: shared, counterKey: "B" });
    const content = async (r: Promise<Response>) =>
      ((await (await r).json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!
        .message.content;
    expect(await content(post(runA, "twice"))).toBe("one");
    expect(await content(post(runB, "twice"))).toBe("one");
    expect(await content(post(runA, "twice"))).toBe("two");
    expect(await content(post(runA, "twice"))).toBe("two");
  });

  it("refuses URLs of other schemes without calling anything", async () => {
    const f = scriptedModelFetch({ source: source(), counter: new RepetitionCounter() });
    await expect(f("https://api.openai.com/v1/chat/completions", body("x"))).rejects.toThrow(
      TypeError,
    );
  });
});
