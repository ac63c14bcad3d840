/**
 * `trustflow run` (issue 16 item 10), the real command spawned on the flows of
 * `cli/testdata/run/`: exit codes (0 succeeded, 1 failed, 2 usage or compile error), the `--json`
 * document, `--approve` on a policy exception and a form, `--dataset` changing what a connector
 * step reads from the session's mocks, `--faults` failing a step, code.js in the sandbox.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inPostgresPass } from "@/server/testing/passes";

const root = path.join(import.meta.dirname, "..");
const bin = path.join(root, "cli/trustflow.mjs");
const data = (f: string) => path.join("cli/testdata/run", f);

interface Spawned {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `trustflow …` from the checkout (asynchronously: the worker keeps serving). */
function trustflow(...args: string[]): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    // Not the test runner's NODE_ENV=test: the command as a shell runs it (unset: development).
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "development" };
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

interface Report {
  status: string;
  error: string | null;
  steps: { id: string; status: string; output: unknown; error: string | null }[];
}

const step = (r: Report, id: string) => r.steps.find((s) => s.id === id)!;

let tmp: string;
const file = (name: string, content: unknown) => {
  const p = path.join(tmp, name);
  writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
  return p;
};

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "trustflow-run-test-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const Q2C = data("quote-to-cash.yaml");
const Q2C_INPUTS = data("quote-to-cash.inputs.json");

// The command runs on its own in-memory PGlite, whatever TEST_DB says: once, in the PGlite pass.
describe.skipIf(inPostgresPass)("trustflow run", { timeout: 180_000 }, () => {
  it("answers usage and compile errors with exit 2, before running anything", async () => {
    const flag = await trustflow("run", Q2C, "--aprove");
    expect(flag.status).toBe(2);
    expect(flag.stderr).toContain("Unknown option `--aprove`.");
    expect(flag.stderr).toContain("Usage:");

    const missing = await trustflow("run", Q2C, "--inputs");
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("`--inputs` needs a value.");

    const noFile = await trustflow("run", path.join(tmp, "nope.yaml"));
    expect(noFile.status).toBe(2);
    expect(noFile.stderr).toMatch(/cannot read .*nope\.yaml: ENOENT/);

    const broken = file(
      "broken.yaml",
      "flow: broken\nversion: 1.0.0\nsteps:\n  - id: a\n    uses: no.such.block@1\n",
    );
    const compileError = await trustflow("run", broken);
    expect(compileError.status).toBe(2);
    expect(compileError.stderr).toMatch(/broken\.yaml:5:\d+: error TF3001/);
    expect(compileError.stderr).toContain("does not compile");
    expect(compileError.stdout).toBe("");
  });

  it("runs a flow whose code.js step succeeds: exit 0, each step's output", async () => {
    const r = await trustflow(
      "run",
      data("invoice-check.yaml"),
      "--inputs",
      data("invoice-check.inputs.json"),
    );
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^total\s+ok$/m);
    expect(r.stdout).toContain('"result": 1200');
    expect(r.stdout).toMatch(/^verdict\s+ok$/m);
    expect(r.stdout).toContain('"large": true');
    expect(r.stdout.trimEnd().endsWith("run succeeded")).toBe(true);
  });

  it("a failing flow exits 1, and --json gives {status, error, steps: [{id, status, output, error}]}", async () => {
    const r = await trustflow(
      "run",
      data("invoice-check.yaml"),
      "--inputs",
      data("invoice-check.bad-inputs.json"),
      "--json",
    );
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report).toEqual({
      status: "failed",
      error: expect.stringContaining("negative quantity on A-1"),
      steps: [
        {
          id: "total",
          status: "failed",
          output: null,
          error: expect.stringContaining("negative quantity on A-1"),
        },
        { id: "verdict", status: "not_run", output: null, error: null },
      ],
    });
  });

  it("fails at a policy exception without --approve, and approves it with --approve", async () => {
    const without = await trustflow("run", Q2C, "--inputs", Q2C_INPUTS, "--json");
    expect(without.status).toBe(1);
    const refused = JSON.parse(without.stdout) as Report;
    expect(refused.status).toBe("failed");
    // The seeded billing account's credit limit is above the policy's 50,000.
    expect(step(refused, "account").output).toMatchObject({
      accountId: "ACC-5526",
      creditLimit: 72500,
    });
    expect(step(refused, "credit-check")).toMatchObject({
      status: "failed",
      error: expect.stringContaining("run with --approve"),
    });
    expect(step(refused, "deal").status).toBe("not_run");

    const approved = await trustflow("run", Q2C, "--inputs", Q2C_INPUTS, "--approve", "--json");
    expect(approved.status).toBe(0);
    const report = JSON.parse(approved.stdout) as Report;
    expect(report.status).toBe("succeeded");
    expect(step(report, "credit-check").output).toEqual({ passed: false, decision: "approved" });
    // The agent step answered by the built-in demo model; the CRM write went to the mocks.
    expect(step(report, "welcome").output).toMatchObject({ subject: expect.any(String) });
    expect(step(report, "deal").output).toMatchObject({ id: "DEAL-380", stage: "closed_won" });
  });

  it("--dataset seeds the session's mocks: the account read changes, and the policy passes", async () => {
    const dataset = file(
      "accounts.jsonl",
      `${JSON.stringify({ system: "billing", type: "accounts", accountId: "ACC-5526", creditLimit: 20000 })}\n`,
    );
    const r = await trustflow("run", Q2C, "--inputs", Q2C_INPUTS, "--dataset", dataset, "--json");
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(step(report, "account").output).toMatchObject({
      accountId: "ACC-5526",
      creditLimit: 20000,
    });
    expect(step(report, "credit-check").output).toEqual({ passed: true, decision: "pass" });

    const bad = file(
      "bad.jsonl",
      `${JSON.stringify({ system: "billing", type: "accounts", creditLimit: 1 })}\n`,
    );
    const refused = await trustflow("run", Q2C, "--inputs", Q2C_INPUTS, "--dataset", bad);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('line 1: a billing accounts record needs "accountId".');
  });

  it("--faults takes the mocks' _faults rules per system: the billing write fails", async () => {
    const faults = file("faults.json", {
      billing: { operation: "account.upsert", errorRate: 1, status: 503 },
    });
    const r = await trustflow("run", Q2C, "--inputs", Q2C_INPUTS, "--faults", faults, "--json");
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(step(report, "contract").status).toBe("succeeded");
    expect(step(report, "account")).toMatchObject({
      status: "failed",
      error: expect.stringContaining("injected 503 for account.upsert"),
    });

    const wrong = file("wrong-faults.json", { erp: { operation: "*", errorRate: 1 } });
    const refused = await trustflow("run", Q2C, "--inputs", Q2C_INPUTS, "--faults", wrong);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('unknown system "erp"');
  });

  it("--approve submits a form with its schema's defaults, or the values of --form", async () => {
    const flow = data("onboarding-form.yaml");
    const defaults = await trustflow("run", flow, "--approve", "--json");
    expect(defaults.status).toBe(0);
    const report = JSON.parse(defaults.stdout) as Report;
    expect(step(report, "summary").output).toEqual({ plan: "starter", seats: 5 });

    const values = file("form.json", { plan: "team", seats: 12 });
    const given = await trustflow(
      "run",
      flow,
      "--approve",
      "--form",
      `details=${values}`,
      "--json",
    );
    expect(given.status).toBe(0);
    expect(step(JSON.parse(given.stdout) as Report, "summary").output).toEqual({
      plan: "team",
      seats: 12,
    });
  });

  it("code.js in the session draws the same numbers on every run, with a still clock", async () => {
    const roll = async () => {
      const r = await trustflow("run", data("dice.yaml"), "--json");
      expect(r.status).toBe(0);
      return step(JSON.parse(r.stdout) as Report, "roll").output as {
        result: { rolls: number[]; clockStill: boolean; at: string };
      };
    };
    const [a, b] = [await roll(), await roll()];
    expect(a.result.rolls).toHaveLength(5);
    expect(b.result.rolls).toEqual(a.result.rolls);
    expect(a.result.clockStill).toBe(true);
    expect(Date.parse(a.result.at)).toBeLessThanOrEqual(Date.parse(b.result.at));
  });

  it("--scripted answers agent steps from a scripted model file; a bad file is exit 2", async () => {
    const flow = data("triage.yaml");
    const inputs = data("triage.inputs.json");
    // The demo model picks the label the text names ("billing"); the script's rule says technical.
    const demo = await trustflow("run", flow, "--inputs", inputs, "--json");
    expect(demo.status).toBe(0);
    expect(
      (step(JSON.parse(demo.stdout) as Report, "triage").output as { label: string }).label,
    ).toBe("billing");
    const scripted = await trustflow(
      "run",
      flow,
      "--inputs",
      inputs,
      "--scripted",
      data("triage.scripted.json"),
      "--json",
    );
    expect(scripted.status).toBe(0);
    expect(step(JSON.parse(scripted.stdout) as Report, "triage").output).toMatchObject({
      label: "technical",
      confidence: 0.97,
    });
    // No rule matches and the fallback is an error: the step fails, exit 1.
    const other = file("other.json", { text: "Send me the sales brochure" });
    const unmatched = await trustflow(
      "run",
      flow,
      "--inputs",
      other,
      "--scripted",
      data("triage.scripted.json"),
      "--json",
    );
    expect(unmatched.status).toBe(1);
    expect(step(JSON.parse(unmatched.stdout) as Report, "triage").status).toBe("failed");

    const badRule = file("bad-rule.json", {
      rules: [
        { kind: "regex", value: "x", answer: "{}" },
        { kind: "pattern", value: "(?<=a)b", answer: "{}" },
      ],
    });
    const r1 = await trustflow("run", flow, "--inputs", inputs, "--scripted", badRule);
    expect(r1.status).toBe(2);
    expect(r1.stderr).toContain("bad-rule.json is not a scripted model:");
    expect(r1.stderr).toContain("rules.0.kind: A rule matches by contains or pattern.");
    expect(r1.stderr).toMatch(/rules\.1\.value: Not an RE2 pattern/);
    const unknownKey = file("typo.json", { rule: [] });
    const r2 = await trustflow("run", flow, "--inputs", inputs, "--scripted", unknownKey);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toContain('typo.json: unknown key "rule"');
    const notJson = file("broken.json", "{ rules: ");
    const r3 = await trustflow("run", flow, "--inputs", inputs, "--scripted", notJson);
    expect(r3.status).toBe(2);
    expect(r3.stderr).toMatch(/--scripted .*broken\.json is not JSON/);
    const help = await trustflow("run", "--help");
    expect(help.stdout).toContain("--scripted <file.json>");
  });
});
