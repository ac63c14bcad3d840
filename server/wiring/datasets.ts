/**
 * The dataset use cases' dependencies (issue 16): the demo model's schema-valid values for
 * `generate` (an adapter, reached here because the domain may not import adapters), and the
 * workspace's secret values the recorded rows are redacted of; and the mock records a session
 * started from a dataset version begins with.
 */
import {
  MockDatasetError,
  mockStateFromDataset,
  type MockDataset,
} from "@/server/adapters/connectors/mock/dataset-state";
import { seededRng } from "@/server/adapters/llm/demo-model/rng";
import { answerForSchema } from "@/server/adapters/llm/demo-model/schema-values";
import type { CredentialVault } from "@/server/domain/connector/ports";
import type { DatasetDeps } from "@/server/domain/sandbox/dataset-ports";
import { loadDatasetVersion } from "@/server/domain/sandbox/datasets";
import { workspaceSecretsLoader } from "@/server/domain/secret/secrets";
import type { Db } from "@/server/domain/types";
import { NonRetryableError } from "@/server/engine/errors";
import type { RunStore } from "@/server/engine/ports";
import { secretValuesOf } from "@/server/engine/secret-redaction";

/** No prompt: the generator builds strings from the schema and field names alone. */
const NO_HINTS = { data: "", context: "" };

/** Schema-valid values from the demo model's generator, seeded per call. */
export function demoSchemaValue(schema: object, seed: string) {
  return answerForSchema(schema, NO_HINTS, seededRng(seed));
}

export function datasetDeps(
  db: Db,
  vault: () => CredentialVault,
  runs: Pick<RunStore, "listAttempts">,
): DatasetDeps {
  const secrets = workspaceSecretsLoader(db, vault);
  return {
    runs,
    valueForSchema: demoSchemaValue,
    secretValues: async (workspaceId) => secretValuesOf(await secrets(workspaceId)),
  };
}

/** Whether dataset rows are mock records (the sessions' port): null, or the first problem. */
export function checkMockDataset(rows: readonly Record<string, unknown>[]): string | null {
  try {
    mockStateFromDataset(rows);
    return null;
  } catch (err) {
    if (err instanceof MockDatasetError) return err.message;
    throw err;
  }
}

/** Mock datasets kept per version id (versions never change; the oldest is dropped first). */
const MAX_CACHED_MOCK_DATASETS = 8;

/**
 * The mock records of a session's dataset version, loaded once per version and process: the
 * sandbox routing passes them in the session's mock tenant profile. Throws a non-retryable error
 * when the version is gone or its rows are not mock records.
 */
export function sessionDatasets(db: Db) {
  const cache = new Map<string, MockDataset>();
  return async (workspaceId: string, versionId: string): Promise<MockDataset> => {
    const key = `${workspaceId}/${versionId}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const version = await loadDatasetVersion(db, workspaceId, versionId);
    if (!version) {
      throw new NonRetryableError("this sandbox session's dataset version no longer exists", {
        classification: { category: "validation", severity: "high" },
        detail: { datasetRef: versionId },
      });
    }
    let dataset: MockDataset;
    try {
      dataset = mockStateFromDataset(version.rows);
    } catch (err) {
      if (!(err instanceof MockDatasetError)) throw err;
      throw new NonRetryableError(
        `this sandbox session's dataset cannot seed the mocks: ${err.message}`,
        {
          classification: { category: "validation", severity: "high" },
          detail: { datasetRef: versionId },
        },
      );
    }
    if (cache.size >= MAX_CACHED_MOCK_DATASETS) cache.delete(cache.keys().next().value!);
    cache.set(key, dataset);
    return dataset;
  };
}
