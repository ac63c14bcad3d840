// ESLint flat config. Besides Next's rules it enforces the architecture (house-style: imports
// flow one way): dsl/ is pure, only server/adapters touches Prisma, components/ never imports
// server/. Later blocks override earlier ones for the same files, so the dsl/ block comes last.
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

/**
 * The React plugins' rules (components, hooks, JSX accessibility), off where there is no React:
 * they find nothing in the server, the DSL, the CLI, benchmarks, browser specs and scripts, and
 * ran for a third of the lint step there (the React Compiler's `static-components` alone ~20 s).
 */
const reactRulesOff = Object.fromEntries(
  nextVitals
    .flatMap((c) => Object.keys(c.rules ?? {}))
    .filter((rule) => /^(react|react-hooks|jsx-a11y)\//.test(rule))
    .map((rule) => [rule, "off"]),
);

const framework = ["react", "react-dom", "react/*", "next", "next/*", "next-auth", "next-auth/*"];
const prismaClient = {
  group: ["@prisma/client", "@prisma/client/*", "**/adapters/prisma/generated/**"],
  message: "Only server/adapters imports the Prisma client.",
};

export default [
  ...nextVitals,
  ...nextTs,
  {
    ignores: [
      ".next/**",
      ".next-*/**",
      "node_modules/**",
      "server/adapters/prisma/generated/**",
      "public/**",
      "bench/.runs/**",
      "cli/dist/**",
      "test-results/**",
      "playwright-report/**",
      "next-env.d.ts",
    ],
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "import/no-anonymous-default-export": "off",
    },
  },
  {
    files: ["{server,dsl,cli,bench,e2e,scripts}/**/*.{ts,mts,mjs,js}"],
    rules: reactRulesOff,
  },
  {
    files: ["**/*.{ts,tsx}"],
    ignores: ["server/adapters/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [prismaClient] }] },
  },
  {
    files: ["components/**/*.{ts,tsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@/server/*", "**/server/**"],
              message: "components/ never imports server/.",
            },
            prismaClient,
          ],
        },
      ],
    },
  },
  {
    files: ["dsl/**/*.{ts,tsx,mjs,js}"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: [
                ...framework,
                "@prisma/*",
                "@trpc/*",
                "@tanstack/*",
                "@/app/*",
                "@/components/*",
                "@/server/*",
                "@/lib/*",
                "**/app/**",
                "**/components/**",
                "**/server/**",
                "**/lib/**",
              ],
              message:
                "dsl/ is a pure TypeScript module: no React, Next, Prisma, tRPC or app code.",
            },
          ],
        },
      ],
    },
  },
];
