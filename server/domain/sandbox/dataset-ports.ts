/** What the dataset use cases need from the world (issue 16). */
import type { BlockRegistry } from "@/dsl";
import type { RunStore } from "@/server/engine/ports";

/** One value valid against a JSON Schema, the same for the same schema and seed. */
export interface SchemaValue {
  value: unknown;
  /** False only for schemas beyond what the generator meets (`errors` says why). */
  valid: boolean;
  errors: string[];
}

export interface DatasetDeps {
  /**
   * A value for `schema`, deterministic in (`schema`, `seed`): the demo model's generator
   * (`server/adapters/llm/demo-model/schema-values.ts`), wired in `server/wiring/datasets.ts`.
   */
  valueForSchema(schema: object, seed: string): SchemaValue;
  /** The string values of the workspace's secrets: recorded rows are redacted of them. */
  secretValues(workspaceId: string): Promise<string[]>;
  /** The engine's run store: a recorded step's attempts (rows and logged ones). */
  runs: Pick<RunStore, "listAttempts">;
  /** The registry whose block schemas `generate` reads. Default: the server's primitives. */
  registry?: () => BlockRegistry;
  /** Epoch milliseconds. Default `Date.now`. */
  now?: () => number;
}
