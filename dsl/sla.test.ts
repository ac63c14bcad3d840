import { describe, expect, it } from "vitest";
import { parseDuration, resolveResilience, SLA_PROFILES } from "./sla";

describe("sla", () => {
  it("parses durations", () => {
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(parseDuration("soon")).toBeUndefined();
  });
  it("orders tiers by resilience", () => {
    expect(SLA_PROFILES.T0.retries).toBeGreaterThan(SLA_PROFILES.T1.retries);
    expect(SLA_PROFILES.T1.retries).toBeGreaterThan(SLA_PROFILES.T2.retries);
    expect(SLA_PROFILES.T2.deadLetter).toBe(false);
  });
  it("applies step overrides over the tier", () => {
    const p = resolveResilience({ flow: "T2" }, undefined, {
      retry: { max: 7, initial_delay: "1s" },
      timeout: "5s",
    });
    expect(p).toMatchObject({ tier: "T2", retries: 7, initialDelayMs: 1000, timeoutMs: 5000 });
  });
});
