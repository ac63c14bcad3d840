// The layer rules of ARCHITECTURE.md, checked by dependency-cruiser in `npm test`'s lint step
// (`npm run lint:layers`). Imports flow one way:
//
//   app/ ──▶ server/trpc, routes ──▶ server/composition ──▶ server/adapters ──▶ server/domain (ports)
//                                                                 │                 │
//   components/, lib/ ──▶ @/dsl                                    └──▶ server/engine (ports) ──▶ @/dsl
//
// Test files (*.test.ts) are outside the layer rules (a test may wire any layer) but not outside
// the cycle rule.
/** Source files that are tests or test support: they may wire layers together. */
const tests = "(\\.test\\.tsx?$|^server/testing/|^e2e/|^bench/)";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "No import cycles anywhere (type-only imports included).",
      from: {},
      to: { circular: true },
    },
    {
      name: "dsl-is-self-contained",
      severity: "error",
      comment:
        "dsl/ (the compiler and the language services) imports nothing outside itself: only npm packages.",
      from: { path: "^dsl/" },
      to: { path: "^(app|components|lib|server|scripts|cli|prisma|e2e|bench)/" },
    },
    {
      name: "dsl-public-surface",
      severity: "error",
      comment:
        "Code outside dsl/ imports the compiler only through dsl/index.ts (@/dsl): its explicit public surface.",
      from: { path: "^(app|components|lib|server|scripts|cli|prisma|e2e|bench)/" },
      to: { path: "^dsl/", pathNot: "^dsl/index\\.ts$" },
    },
    {
      name: "engine-imports-itself-and-dsl",
      severity: "error",
      comment:
        "server/engine is pure: it imports only itself and @/dsl; metrics, notifier, fetch and stores are ports.",
      from: { path: "^server/engine/", pathNot: tests },
      to: {
        path: "^(app|components|lib|server|scripts|cli|prisma)/",
        pathNot: "^server/engine/",
      },
    },
    {
      name: "engine-imports-no-package",
      severity: "error",
      comment:
        "server/engine uses no npm package of its own (Node's core modules aside): JSON Schema validation and expressions come through @/dsl, metrics and notifications through ports.",
      from: { path: "^server/engine/", pathNot: tests },
      to: {
        dependencyTypes: [
          "npm",
          "npm-dev",
          "npm-optional",
          "npm-peer",
          "npm-no-pkg",
          "npm-unknown",
        ],
      },
    },
    {
      name: "domain-imports-no-adapter",
      severity: "error",
      comment:
        "The domain declares ports; adapters implement them. The one exception: the type-only import of Prisma's generated client types (the Db type, domain/types.ts).",
      from: { path: "^server/domain/", pathNot: tests },
      to: {
        path: "^server/adapters/",
        pathNot: "^server/adapters/prisma/(index\\.ts|generated/)",
      },
    },
    {
      name: "domain-uses-prisma-types-only",
      severity: "error",
      comment: "The domain reaches Prisma's client only as a type (the Db it is handed).",
      from: { path: "^server/domain/", pathNot: tests },
      to: {
        path: "^server/adapters/prisma/(index\\.ts|generated/)",
        dependencyTypesNot: ["type-only"],
      },
    },
    {
      name: "adapters-import-no-use-case",
      severity: "error",
      comment:
        "Adapters implement ports; they import the domain's ports, types, errors and pure schemas, never a use case (the composition root hands use cases in).",
      from: { path: "^server/adapters/", pathNot: tests },
      to: {
        path: "^server/domain/",
        pathNot: [
          "/(ports|types|errors|schemas|constants)\\.ts$",
          // Pure rules the egress guard applies (no I/O): the domain states them, the guard enforces.
          "^server/domain/egress/(policy|address)\\.ts$",
          // The audit ledger's pure chain (hashes, redaction, entries after a head): the raw-SQL
          // appender builds the same chain as the domain's, computed in one place.
          "^server/domain/audit/(chain|canonical)\\.ts$",
        ],
      },
    },
    {
      name: "client-imports-no-server",
      severity: "error",
      comment:
        "components/ and lib/ run in the browser: they never import server/ (the router's type excepted).",
      from: { path: "^(components|lib)/", pathNot: tests },
      to: { path: "^server/", pathNot: "^server/trpc/root\\.ts$" },
    },
    {
      name: "client-imports-router-type-only",
      severity: "error",
      comment: "The router reaches the client as a type only.",
      from: { path: "^(components|lib)/", pathNot: tests },
      to: { path: "^server/trpc/root\\.ts$", dependencyTypesNot: ["type-only"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: {
      path: "(^|/)(node_modules|\\.next[^/]*|generated|bench/\\.runs|test-results|playwright-report)(/|$)",
    },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".tsx", ".js", ".mjs", ".cjs", ".json"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
