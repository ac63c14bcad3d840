export * from "./database";
export * from "./migrator";
export type { SqlDriver, SqlExecutor } from "./sql-driver";
