import { describe, expect, it } from "vitest";
import { SLA_PROFILES } from "@/dsl";
import { BreakerBoard } from "./breaker";
import { NonRetryableError, RetryAfterError, TimeoutError, toErrorInfo } from "./errors";
import { applyJitter, baseDelay, retryDelay, retrySchedule, shouldRetry } from "./retry";
import { repairJson } from "./runtimes/data";
import { createHttpRuntime, parseRetryAfter } from "./runtimes/http";
import { SeededRandom } from "./testing/fakes";
import type { RuntimeRequest } from "./ports";

describe("retry schedule", () => {
  const exp = {
    backoff: "exponential",
    initialDelayMs: 500,
    factor: 2,
    maxDelayMs: 4_000,
    jitter: "none",
    retries: 6,
  } as const;
  it("grows exponentially, linearly or stays fixed, capped", () => {
    expect(retrySchedule(exp)).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
    expect(retrySchedule({ ...exp, backoff: "linear" })).toEqual([
      500, 1000, 1500, 2000, 2500, 3000,
    ]);
    expect(retrySchedule({ ...exp, backoff: "fixed" })).toEqual([500, 500, 500, 500, 500, 500]);
    expect(baseDelay({ ...exp, factor: 10 }, 400)).toBe(4_000);
  });
  it("keeps jitter within its bounds", () => {
    const rnd = new SeededRandom(1);
    for (let i = 0; i < 1000; i++) {
      const r = rnd.next();
      const full = applyJitter(1000, "full", r);
      const equal = applyJitter(1000, "equal", r);
      expect(full).toBeGreaterThanOrEqual(0);
      expect(full).toBeLessThanOrEqual(1000);
      expect(equal).toBeGreaterThanOrEqual(500);
      expect(equal).toBeLessThanOrEqual(1000);
    }
    expect(applyJitter(1000, "none", 0.3)).toBe(1000);
  });
  it("honours Retry-After over the schedule and follows the T1 profile", () => {
    expect(retryDelay(SLA_PROFILES.T1, 1, 0.5, 12_000)).toBe(12_000);
    expect(retryDelay(SLA_PROFILES.T1, 1, 0.5)).toBe(500);
    expect(shouldRetry(SLA_PROFILES.T1, 4, { retryable: true })).toBe(true);
    expect(shouldRetry(SLA_PROFILES.T1, 5, { retryable: true })).toBe(false);
    expect(shouldRetry(SLA_PROFILES.T1, 1, { retryable: false })).toBe(false);
  });
});

describe("errors", () => {
  it("classifies", () => {
    expect(toErrorInfo(new NonRetryableError("x"))).toMatchObject({
      retryable: false,
      classification: { category: "validation", severity: "medium" },
    });
    expect(toErrorInfo(new RetryAfterError(5))).toMatchObject({ retryable: true, retryAfterMs: 5 });
    expect(toErrorInfo(new TimeoutError(10)).classification.category).toBe("performance");
    expect(toErrorInfo(new Error("?"))).toMatchObject({
      retryable: true,
      classification: { category: "system", severity: "high" },
    });
  });
});

describe("circuit breaker", () => {
  const opts = { failureThreshold: 3, halfOpenAfterMs: 1_000 };
  it("opens after N failures, half-opens after the wait, closes on a successful probe", () => {
    const states: string[] = [];
    const b = new BreakerBoard((_k, s) => states.push(s));
    for (let i = 0; i < 3; i++) {
      expect(b.acquire("k", 0, opts).allowed).toBe(true);
      b.failure("k", 0, opts);
    }
    expect(b.acquire("k", 500, opts)).toEqual({ allowed: false, retryInMs: 500 });
    expect(b.acquire("k", 1_000, opts)).toEqual({ allowed: true, probe: true });
    expect(b.acquire("k", 1_000, opts).allowed).toBe(false);
    b.success("k");
    expect(b.state("k", 1_000, opts)).toBe("closed");
    expect(states).toEqual(["open", "half-open", "closed"]);
  });
  it("re-opens when the probe fails", () => {
    const b = new BreakerBoard();
    for (let i = 0; i < 3; i++) b.failure("k", 0, opts);
    expect(b.acquire("k", 1_000, opts).allowed).toBe(true);
    b.failure("k", 1_000, opts);
    expect(b.state("k", 1_500, opts)).toBe("open");
    expect(b.state("k", 2_000, opts)).toBe("half-open");
  });
});

describe("http.request runtime", () => {
  function req(inputs: Record<string, unknown>): RuntimeRequest {
    return {
      inputs,
      idempotencyKey: "run:step",
      signal: new AbortController().signal,
      services: { now: () => 0 },
    } as unknown as RuntimeRequest;
  }
  const reply =
    (status: number, headers: Record<string, string> = {}, body = "{}") =>
    async () =>
      new Response(body, { status, headers });

  it("passes the idempotency key and returns the parsed body", async () => {
    let seen: Headers | undefined;
    const rt = createHttpRuntime({
      fetch: async (_u, init) => {
        seen = new Headers(init?.headers);
        return new Response('{"ok":true}', { status: 200 });
      },
    });
    await expect(
      rt.execute(req({ method: "POST", url: "https://api.example.com/x", body: { a: 1 } })),
    ).resolves.toMatchObject({ status: 200, body: { ok: true } });
    expect(seen?.get("idempotency-key")).toBe("run:step");
  });
  it("turns 429/503 Retry-After into RetryAfterError and 4xx into non-retryable errors", async () => {
    const call = (status: number, headers?: Record<string, string>) =>
      Promise.resolve(
        createHttpRuntime({ fetch: reply(status, headers) }).execute(
          req({ method: "GET", url: "https://a.example/x" }),
        ),
      ).catch((e: unknown) => toErrorInfo(e));
    expect(await call(429, { "retry-after": "3" })).toMatchObject({
      name: "RetryAfterError",
      retryAfterMs: 3000,
    });
    expect(await call(503, { "retry-after": "2" })).toMatchObject({ retryAfterMs: 2000 });
    expect(await call(401)).toMatchObject({
      retryable: false,
      classification: { category: "auth" },
    });
    expect(await call(403)).toMatchObject({
      retryable: false,
      classification: { category: "authz" },
    });
    expect(await call(422)).toMatchObject({
      retryable: false,
      classification: { category: "validation" },
    });
    expect(await call(502)).toMatchObject({
      retryable: true,
      classification: { category: "integration" },
    });
    expect(parseRetryAfter("Thu, 01 Jan 1970 00:00:05 GMT", 0)).toBe(5000);
  });
});

describe("data.json.repair", () => {
  it("repairs fences, quotes, trailing commas and truncation", () => {
    expect(repairJson("```json\n{'subject': 'Welcome',}\n```")).toMatchObject({
      value: { subject: "Welcome" },
      repaired: true,
    });
    expect(repairJson('{"a": [1, 2').value).toEqual({ a: [1, 2] });
    expect(repairJson('{"a": 1}')).toEqual({ value: { a: 1 }, repaired: false, changes: [] });
  });
});
