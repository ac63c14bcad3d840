import { describe, expect, it } from "vitest";
import { failureRecord } from "@/server/testing/failure-record";
import { compileFlow } from "../workflow/compile-flow";
import { corpusFlowText } from "./corpus";
import { fieldDiff } from "./drift";
import { fingerprint, messageTemplate, type FailureRecord } from "./fingerprint";
import { assignGroup, groupAll, templateSimilarity, type GroupingRule } from "./grouping";
import { proposeFixes } from "./proposals";
import { triage } from "./triage";

const rec = failureRecord;
const compile = (text: string) => compileFlow(text);

describe("messageTemplate", () => {
  it("masks numbers, ids, uuids, emails, URLs and quoted values", () => {
    expect(
      messageTemplate(
        "crm PATCH /contacts/CON-1042 failed with HTTP 429 for ada@example.com: 'slow down' (request 3f2b8c1e-1d2a-4b3c-8d4e-5f6a7b8c9d0e) see https://x.io/a?b=1",
      ),
    ).toBe(
      "crm PATCH /contacts/<id> failed with HTTP <n> for <email>: '<v>' (request <uuid>) see <url>",
    );
  });

  it("caps what it reads", () => {
    expect(messageTemplate("x".repeat(50_000)).length).toBeLessThanOrEqual(1000);
  });
});

describe("grouping", () => {
  const a = fingerprint(
    rec({
      message: "crm PATCH /contacts/CON-1 failed with HTTP 429: rate limit exceeded",
      httpStatus: 429,
    }),
  );
  const b = fingerprint(
    rec({
      message: "crm PATCH /contacts/CON-2 failed with HTTP 429: Rate limit exceeded!",
      httpStatus: 429,
    }),
  );
  const other = fingerprint(
    rec({ message: "crm PATCH /contacts/CON-2 failed with HTTP 503: down", httpStatus: 503 }),
  );

  it("joins similar templates with the same exact parts, and says why", () => {
    expect(templateSimilarity(a.template, b.template)).toBeGreaterThan(0.8);
    const groups = groupAll([a, b, other], []);
    expect(groups.map((g) => g.members.length)).toEqual([2, 1]);
    const why = assignGroup(
      b,
      [{ id: "g0", strictKey: a.strictKey, template: a.template, split: false }],
      [],
    ).why;
    expect(why.join(" ")).toMatch(/Same flow, step "sync".*HTTP 429.*matches the group's at \d+%/);
  });

  it("obeys a person's split and merge rules", () => {
    const split: GroupingRule = {
      id: "s1",
      kind: "split",
      strictKey: b.strictKey,
      template: b.template,
    };
    expect(groupAll([a, b], [split]).map((g) => g.members.length)).toEqual([1, 1]);
    const merge: GroupingRule = {
      id: "m1",
      kind: "merge",
      fromStrictKey: other.strictKey,
      fromTemplate: other.template,
      intoGroupId: "g0",
    };
    const merged = groupAll([a, other], [merge]);
    expect(merged).toHaveLength(1);
    expect(
      assignGroup(
        other,
        [{ id: "g0", strictKey: a.strictKey, template: a.template, split: false }],
        [merge],
      ).why[1],
    ).toMatch(/merged/);
  });
});

describe("fieldDiff", () => {
  it("names renamed, retyped, missing and added fields", () => {
    expect(
      fieldDiff(
        { body: { email: "a@b.co", amount: 3, phone: "+1" } },
        { body: { emailAddress: "a@b.co", amount: "3", extra: true } },
      ),
    ).toEqual([
      { kind: "renamed", path: "body.email", to: "body.emailAddress", was: "string" },
      { kind: "type", path: "body.amount", was: "number", now: "string" },
      { kind: "missing", path: "body.phone", was: "string" },
      { kind: "added", path: "body.extra", now: "boolean" },
    ]);
  });
});

describe("triage and proposals", () => {
  const text = corpusFlowText("contact-sync");
  const ctx = { text, version: "1.4.0", compile };

  it("backs off a 429 storm through the edit path, keeping comments and layout", () => {
    const f = rec({
      httpStatus: 429,
      retryAfterMs: 20_000,
      message: "crm PATCH /contacts/CON-1 failed with HTTP 429",
    });
    const t = triage([f, f, f]);
    expect(t.class).toBe("resilience");
    const [p] = proposeFixes(t, f, ctx);
    expect(p!.rule).toBe("backoff-retry-after");
    expect(p!.text).toContain("initial_delay: 20s");
    expect(p!.text).toContain("# mapped by hand");
    expect(p!.text).toContain("  - id: fetch            # the profile service");
    expect(p!.bump).toBe("patch");
    expect(p!.nextVersion).toBe("1.4.1");
    // Only the step's lines changed.
    const removed = text.split("\n").filter((l) => !p!.text.split("\n").includes(l));
    expect(removed).toEqual([]);
  });

  it("gives no proposal for an expired credential, a policy refusal or a network blip", () => {
    const cases: Array<[FailureRecord, string]> = [
      [
        rec({
          httpStatus: 401,
          category: "auth",
          retryable: false,
          message: "crm PATCH /contacts/CON-1 failed with HTTP 401: token expired",
        }),
        "external",
      ],
      [
        rec({
          stepId: "check",
          blockId: "policy.check@1",
          category: "authz",
          code: "inputs.amount <= 10000",
          retryable: false,
          message: "over the limit",
        }),
        "policy",
      ],
      [
        rec({
          message: "crm PATCH /contacts/CON-1: network error: socket hang up",
          recovered: true,
        }),
        "transient",
      ],
    ];
    for (const [f, cls] of cases) {
      const t = triage([f]);
      expect(t.class).toBe(cls);
      expect(proposeFixes(t, f, ctx)).toEqual([]);
    }
  });

  it("tells drift (the upstream changed) from a bad mapping (never had the field)", () => {
    const good = { status: 200, headers: {}, body: { email: "a@b.co" } };
    const drift = rec({
      stepId: "shape",
      blockId: "data.transform@1",
      errorName: "ExpressionError",
      retryable: false,
      message: "field not found: email (in `steps.fetch.output.body.email`)",
      upstream: {
        stepId: "fetch",
        output: { ...good, body: { mail: "a@b.co" } },
        lastGoodOutput: good,
      },
    });
    const t = triage([drift]);
    expect(t.class).toBe("drift");
    expect(t.reasons[0]).toMatch(/`body.email` appears renamed to `body.mail`/);
    const [p] = proposeFixes(t, drift, ctx);
    expect(p!.text).toContain("email: steps.fetch.output.body.mail   # mapped by hand");

    const typo = {
      ...drift,
      message: "field not found: emial (in `steps.fetch.output.body.emial`)",
      upstream: { stepId: "fetch", output: good, lastGoodOutput: good },
    };
    expect(triage([typo]).class).toBe("mapping");
  });

  it("discards a proposal that does not compile", () => {
    const f = rec({ errorName: "TimeoutError", message: "attempt timed out after 30000 ms" });
    const broken = { ...ctx, compile: (t: string) => (t === text ? compile(t) : { ok: false }) };
    expect(proposeFixes(triage([f]), f, broken)).toEqual([]);
    expect(proposeFixes(triage([f]), f, ctx).map((p) => p.rule)).toEqual(["longer-timeout"]);
  });
});
