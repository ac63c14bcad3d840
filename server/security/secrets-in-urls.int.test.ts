import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnectorRuntime } from "@/server/adapters/connectors/runtime";
import { dbConnectorResolver } from "@/server/adapters/connectors/store";
import { execution } from "@/server/adapters/connectors/testing/harness";
import { serverEgressGuard } from "@/server/adapters/egress/server-guard";
import type { Database } from "@/server/adapters/prisma";
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import { noDnsLookup } from "@/server/testing/egress";
import { engineFor, runToEnd } from "@/server/testing/engine";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { captureLogs } from "@/server/testing/logs";
import { openTestDatabase } from "@/server/testing/test-database";

/**
 * Secrets in URLs echoed: `https://user:password@host` in a flow, a connector or an import URL.
 * Refused with a validation error, and the password appears nowhere: not in the error, the run's
 * record, the audit ledger or the logs.
 */
const PASSWORD = "Pa55w0rd-do-not-echo-7f3a";
const USER = "svc-admin";
const WITH_CREDS = `https://${USER}:${PASSWORD}@api.partner.example/v1`;

let db: Database;
let owner: Awaited<ReturnType<typeof makeUser>>;
const { logger: log, lines: logLines } = captureLogs();

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "secrets-in-urls");
});
afterAll(async () => {
  await db?.close();
});

/**
 * Everything of the workspace a password could leak into, as one text: what the runs recorded
 * (status, output, error, every step attempt's inputs, output and error), dead letters, the
 * ledger, connectors and the logs. Not the flow's own text (`Run.ir`) nor the inputs the caller
 * started the run with (`Run.inputs`): those are stored as written, like the workflow version.
 */
async function everything(): Promise<string> {
  const ws = owner.workspace.id;
  const runs = await db.prisma.run.findMany({
    where: { workspaceId: ws },
    select: { id: true, status: true, output: true, error: true },
  });
  const ids = runs.map((r) => r.id);
  return JSON.stringify(
    {
      runs,
      attempts: await db.prisma.stepAttempt.findMany({ where: { runId: { in: ids } } }),
      deadLetters: await db.prisma.deadLetter.findMany({ where: { runId: { in: ids } } }),
      audit: await db.prisma.auditEntry.findMany({ where: { workspaceId: ws } }),
      connectors: await db.prisma.connector.findMany({ where: { workspaceId: ws } }),
      logs: logLines,
    },
    (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v),
  );
}

describe("secrets in URLs echoed", () => {
  it("the compiler refuses credentials written into a flow's URL (TF3052), at the URL", () => {
    const text = `flow: creds-literal
version: 1.0.0
steps:
  - id: literal
    uses: http.request@1
    with:
      method: GET
      url: ${WITH_CREDS}/status
`;
    const errors = compileFlow(text).diagnostics.filter((d) => d.severity === "error");
    expect(errors.map((d) => d.code)).toEqual(["TF3052"]);
    expect(text.slice(errors[0]!.span.start, errors[0]!.span.end)).toBe(`${WITH_CREDS}/status`);
    expect(errors[0]!.message).not.toContain(PASSWORD);
  });

  it("http.request with credentials in its URL fails with a validation error that names no password", async () => {
    // The literal step's URL is assembled by CEL, so the compiler's TF3052 does not see it: the
    // run-time guard must refuse it (as it refuses flows saved before TF3052 existed).
    const flow = compileFlow(`flow: creds-in-url
version: 1.0.0
sla: T2
inputs:
  base: { type: string }
steps:
  - id: literal
    uses: http.request@1
    retry: { max: 0 }
    with:
      method: GET
      url: \${{ "https://" + "${USER}:${PASSWORD}" + "@api.partner.example/v1/status" }}
  - id: built
    uses: http.request@1
    retry: { max: 0 }
    with:
      method: GET
      url: \${{ inputs.base + "/orders" }}
`);
    expect(flow.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const engine = engineFor(db, {
      logger: log,
      egress: serverEgressGuard(db.prisma, { lookup: noDnsLookup }),
    });
    const run = await runToEnd(engine, {
      workspaceId: owner.workspace.id,
      ir: flow.ir!,
      inputs: { base: `https://${USER}:${PASSWORD}@orders.partner.example` },
    });
    const attempts = await db.prisma.stepAttempt.findMany({ where: { runId: run.id } });
    expect(attempts.map((a) => a.status)).toContain("failed");
    for (const a of attempts.filter((x) => x.status === "failed")) {
      expect(a.error).toMatchObject({
        name: "NonRetryableError",
        retryable: false,
        classification: { category: "validation" },
      });
      expect(JSON.stringify(a.error)).toMatch(/credentials inside URLs are refused/);
    }
    // The stored step inputs keep the URL, without its credentials.
    expect(JSON.stringify(attempts.map((a) => a.inputs))).toContain("[redacted]@");
    const all = await everything();
    expect(all).not.toContain(PASSWORD);
  });

  it("the egress guard refuses credentials in URLs before any lookup, for connectors and token URLs too", async () => {
    const guard = serverEgressGuard(db.prisma, { lookup: noDnsLookup });
    const err = (await guard
      .fetchFor(owner.workspace.id)(WITH_CREDS)
      .catch((e: unknown) => e)) as Error & { code: string };
    expect(err).toMatchObject({ name: "EgressError", code: "credentials_in_url" });
    expect(err.message).toMatch(
      /credentials inside URLs are refused \(https:\/\/api\.partner\.example\)/,
    );
    expect(err.message).not.toContain(PASSWORD);

    // A connector row written before this check existed (no save-time refusal).
    await db.prisma.connector.create({
      data: {
        workspaceId: owner.workspace.id,
        name: "legacy-crm",
        system: "crm",
        baseUrl: WITH_CREDS,
      },
    });
    const runtime = createConnectorRuntime({
      resolveConnector: dbConnectorResolver(db.prisma),
      fetchFor: guard.fetchFor,
    });
    const callErr = (await runtime
      .execute(
        execution("crm.contact.get@1", { id: "CON-1042" }, { workspaceId: owner.workspace.id }),
      )
      .catch((e: unknown) => e)) as Error & { code: string; retryable: boolean };
    expect(callErr).toMatchObject({
      name: "EgressError",
      code: "credentials_in_url",
      retryable: false,
    });
    expect(
      JSON.stringify({ m: callErr.message, d: (callErr as { detail?: unknown }).detail }),
    ).not.toContain(PASSWORD);
    await db.prisma.connector.deleteMany({ where: { workspaceId: owner.workspace.id } });
  });

  it("connector settings and OpenAPI import refuse credentials in URLs with a field error, changing nothing", async () => {
    const c = callerFor(db.prisma, owner.user);
    const before = await everything();
    const attempts = [
      () => c.connector.create({ name: "crm-creds", system: "crm", baseUrl: WITH_CREDS }),
      () =>
        c.connector.create({
          name: "billing-creds",
          system: "billing",
          baseUrl: "https://billing.partner.example",
          authScheme: "oauth2_client_credentials",
          tokenUrl: `${WITH_CREDS}/oauth/token`,
        }),
      () => c.connector.importOpenApi({ name: "partner", url: `${WITH_CREDS}/openapi.json` }),
    ];
    for (const attempt of attempts) {
      const err = (await attempt().catch((e: unknown) => e)) as Error & { code: string };
      expect(err.name).toBe("TRPCError");
      expect(err.code).toBe("BAD_REQUEST");
      expect(err.message).toMatch(/credentials inside URLs are refused/);
      expect(JSON.stringify({ m: err.message, c: String(err.cause) })).not.toContain(PASSWORD);
    }
    expect(await everything()).toBe(before);
    expect(before).not.toContain(PASSWORD);
  });
});
