import { defineConfig } from "prisma/config";

// The CLI is used offline for `prisma generate` only. Migrations are applied by the project's own
// migrator (server/adapters/prisma/migrator.ts); `prisma migrate deploy` also works where the
// schema engine can be downloaded, with DATABASE_URL set.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/trustflow" },
});
