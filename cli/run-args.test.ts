/**
 * `trustflow run`'s pure parts: its arguments, the `--dataset` file's shapes and errors (the
 * records reach a mock tenant through the mocks' own loader), and a form's values from its schema.
 */
import { describe, expect, it } from "vitest";
import { MockService } from "@/server/adapters/connectors/mock/mock-service";
import { parseRunArgs } from "./run-args";
import { DatasetError, parseDataset, seedTenantFromDataset } from "./run-dataset";
import { formDefaults } from "./run";

describe("trustflow run: arguments", () => {
  it("reads the flow file and every option, with `--flag value` or `--flag=value`", () => {
    const a = parseRunArgs([
      "flow.yaml",
      "--inputs",
      "in.json",
      "--dataset=rows.jsonl",
      "--faults",
      "faults.json",
      "--scripted=script.json",
      "--approve",
      "--form",
      "review=review.json",
      "--json",
    ]);
    expect(a).toEqual({
      flowFile: "flow.yaml",
      inputsFile: "in.json",
      datasetFile: "rows.jsonl",
      faultsFile: "faults.json",
      scriptedFile: "script.json",
      approve: true,
      forms: new Map([["review", "review.json"]]),
      json: true,
    });
  });

  it("refuses unknown, repeated, valueless and contradictory options with a message", () => {
    expect(parseRunArgs(["f.yaml", "--aprove"])).toEqual({ error: "Unknown option `--aprove`." });
    expect(parseRunArgs(["f.yaml", "-x"])).toEqual({ error: "Unknown option `-x`." });
    expect(parseRunArgs(["f.yaml", "--inputs"])).toEqual({ error: "`--inputs` needs a value." });
    expect(parseRunArgs(["f.yaml", "--scripted", "a.json", "--scripted=b.json"])).toEqual({
      error: "`--scripted` is given twice.",
    });
    expect(parseRunArgs(["f.yaml", "--inputs", "--json"])).toEqual({
      error: "`--inputs` needs a value.",
    });
    expect(parseRunArgs(["f.yaml", "--inputs", "a", "--inputs", "b"])).toEqual({
      error: "`--inputs` is given twice.",
    });
    expect(parseRunArgs(["f.yaml", "--json=yes"])).toEqual({ error: "`--json` takes no value." });
    expect(parseRunArgs([])).toEqual({ error: "Name the flow file to run." });
    expect(parseRunArgs(["a.yaml", "b.yaml"])).toEqual({ error: "Run one flow file at a time." });
    expect(parseRunArgs(["f.yaml", "--approve", "--form", "review"])).toMatchObject({
      error: expect.stringContaining("<stepId>=<file.json>"),
    });
    expect(parseRunArgs(["f.yaml", "--form", "review=r.json"])).toEqual({
      error: "`--form` gives the values `--approve` submits: add `--approve`.",
    });
  });
});

describe("trustflow run: --dataset", () => {
  const ACCOUNT = {
    system: "billing",
    type: "accounts",
    accountId: "ACC-5526",
    creditLimit: 20000,
  };

  it("reads JSON Lines, a JSON array and the per-system object alike", () => {
    const jsonl = parseDataset(`${JSON.stringify(ACCOUNT)}\n\n${JSON.stringify(ACCOUNT)}\n`);
    expect(jsonl.map((i) => i.where)).toEqual(["line 1", "line 3"]);
    expect(parseDataset(JSON.stringify([ACCOUNT]))[0]).toMatchObject({
      system: "billing",
      collection: "accounts",
      record: { accountId: "ACC-5526", creditLimit: 20000 },
      where: "row 1",
    });
    const bySystem = parseDataset(
      JSON.stringify({ billing: { accounts: [{ accountId: "ACC-5526", creditLimit: 20000 }] } }),
    );
    expect(bySystem).toEqual([
      {
        system: "billing",
        collection: "accounts",
        record: { accountId: "ACC-5526", creditLimit: 20000 },
        where: "billing.accounts[0]",
      },
    ]);
  });

  it("names the line or record of each problem", () => {
    const bad = (text: string) => () => parseDataset(text);
    expect(bad("")).toThrow("the dataset is empty");
    expect(bad('{"system":"crm","type":"contacts","id":"CON-1"}\n{oops')).toThrow(
      /^line 2: not JSON/,
    );
    expect(bad('{"system":"erp","type":"x"}')).toThrow('line 1: unknown system "erp"');
    expect(bad('{"crm":{"leads":[]}}')).toThrow('crm: crm has no collection "leads"');
    expect(bad('{"crm":{"contacts":[1]}}')).toThrow("crm.contacts[0]: a record is a JSON object");
    expect(bad("[1]")).toThrow("row 1: a row is a JSON object");
    expect(bad("x".repeat(5 * 1024 * 1024 + 1))).toThrow(DatasetError);
  });

  it("defines the tenant with the records over its seed, and defines nothing on a bad record", () => {
    const mocks = new MockService();
    const report = seedTenantFromDataset(mocks, "t1", { seed: 20261122 }, JSON.stringify(ACCOUNT));
    expect(report).toEqual({ records: { "billing.accounts": 1 } });
    const account = mocks.state("billing", "t1").accounts.get("ACC-5526")!;
    expect(account.creditLimit).toBe(20000);
    // The seeded fields the record did not name are kept.
    expect(account.currency).toEqual(mocks.state("billing").accounts.get("ACC-5526")!.currency);

    expect(() =>
      seedTenantFromDataset(
        mocks,
        "t2",
        { seed: 20261122 },
        `${JSON.stringify(ACCOUNT)}\n${JSON.stringify({ ...ACCOUNT, accountId: undefined })}`,
      ),
    ).toThrow('line 2: a billing accounts record needs "accountId".');
    // t2 was never defined: it starts from the seed alone.
    expect(mocks.state("billing", "t2").accounts.get("ACC-5526")!.creditLimit).not.toBe(20000);
  });
});

describe("trustflow run: --approve on a form", () => {
  it("takes each field's default, else its first example, const or enum value", () => {
    expect(
      formDefaults({
        type: "object",
        required: ["plan", "seats"],
        properties: {
          plan: { type: "string", enum: ["starter", "team"] },
          seats: { type: "integer", default: 5 },
          note: { type: "string", examples: ["hello"] },
          kind: { const: "renewal" },
          free: { type: "string" },
        },
      }),
    ).toEqual({
      values: { plan: "starter", seats: 5, note: "hello", kind: "renewal" },
      missing: [],
    });
    expect(
      formDefaults({ required: ["reason"], properties: { reason: { type: "string" } } }),
    ).toEqual({ values: {}, missing: ["reason"] });
    expect(formDefaults(undefined)).toEqual({ values: {}, missing: [] });
  });
});
