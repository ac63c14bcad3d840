import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.join(import.meta.dirname, "..");
const bin = path.join(root, "cli/trustflow.mjs");
const run = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: "utf8" });

describe("trustflow CLI", () => {
  it("validates the reference example (exit 0, warnings printed as code frames)", () => {
    const r = run("validate", "dsl/testdata/quote-to-cash.yaml");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/quote-to-cash\.yaml:\d+:\d+: warning TF3040/);
    expect(r.stdout).toContain("^^^");
  });
  it("a step under a halting trust minimum is an error, as in the studio (exit 1)", () => {
    const r = run("validate", "dsl/testdata/tf3040-step-trust-below-min.yaml");
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/tf3040-step-trust-below-min\.yaml:\d+:\d+: error TF3040/);
  });
  it("prints JSON diagnostics with 1-based ranges and exits 1 on errors", () => {
    const r = run(
      "validate",
      "--json",
      "dsl/testdata/tf3001-unknown-block.yaml",
      "dsl/testdata/valid-minimal.yaml",
    );
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as Array<{
      file: string;
      code: string;
      range: { start: { line: number; column: number } };
    }>;
    expect(out).toEqual([
      expect.objectContaining({
        file: "dsl/testdata/tf3001-unknown-block.yaml",
        code: "TF3001",
        range: expect.objectContaining({ start: { line: 5, column: 11 } }),
      }),
    ]);
  });
  it("compiles to IR JSON", () => {
    const r = run("compile", "dsl/testdata/quote-to-cash.yaml");
    expect(r.status).toBe(0);
    const ir = JSON.parse(r.stdout) as {
      name: string;
      hash: string;
      trustGate?: string;
      steps: { id: string }[];
    };
    expect(ir.name).toBe("quote-to-cash");
    // Five steps, and the trust gate the compiler adds for `welcome`'s `below: approval`.
    expect(ir.steps.map((s) => s.id)).toEqual([
      "trust-gate",
      "contract",
      "account",
      "credit-check",
      "welcome",
      "deal",
    ]);
    expect(ir.trustGate).toBe("trust-gate");
    expect(ir.hash).toMatch(/^[0-9a-f]{64}$/);
  });
  it("exits 2 on usage errors and unreadable files", () => {
    expect(run().status).toBe(2);
    expect(run("frobnicate").status).toBe(2);
    const r = run("validate", "does/not/exist.yaml");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("cannot read");
  });
  it("keeps a built bundle: its manifest lists only files, so the next call does not rebuild", async () => {
    const { ensureCliBundle } = (await import(path.join(root, "cli/bundle.mjs"))) as {
      ensureCliBundle: () => Promise<string>;
    };
    const dir = await ensureCliBundle();
    const manifest = JSON.parse(readFileSync(path.join(dir, "inputs.json"), "utf8")) as {
      inputs: string[];
    };
    expect(manifest.inputs).toContain("cli/main.ts");
    expect(manifest.inputs).toContain("cli/precompiled-validators.ts");
    expect(manifest.inputs.filter((i) => !existsSync(path.join(root, i)))).toEqual([]);
    const built = statSync(path.join(dir, "trustflow.cjs")).mtimeMs;
    expect(run("validate", "dsl/testdata/valid-minimal.yaml").status).toBe(0);
    expect(statSync(path.join(dir, "trustflow.cjs")).mtimeMs).toBe(built);
  });
  it("bundles `run`'s engine apart, with a manifest of its own: kept while nothing changed", async () => {
    const { ensureRunnerBundle } = (await import(path.join(root, "cli/bundle.mjs"))) as {
      ensureRunnerBundle: () => Promise<string | null>;
    };
    const file = await ensureRunnerBundle();
    expect(file).toBe(path.join(root, "cli/dist/run.mjs"));
    const manifest = JSON.parse(
      readFileSync(path.join(root, "cli/dist/run-inputs.json"), "utf8"),
    ) as { inputs: string[] };
    expect(manifest.inputs).toContain("cli/run.ts");
    expect(manifest.inputs).toContain("server/engine/engine.ts");
    // Packages are left to node_modules: npm's record of them stands for them all.
    expect(manifest.inputs.filter((i) => i.includes("node_modules"))).toEqual([
      "node_modules/.package-lock.json",
    ]);
    expect(manifest.inputs.filter((i) => !existsSync(path.join(root, i)))).toEqual([]);
    const built = statSync(file!).mtimeMs;
    expect(await ensureRunnerBundle()).toBe(file);
    expect(statSync(file!).mtimeMs).toBe(built);
  });
});
