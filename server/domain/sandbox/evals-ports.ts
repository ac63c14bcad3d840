/**
 * What the evaluation suites need from the world: the run use cases' ports (runs start and end
 * through the run domain, in a sandbox session) and the datasets' loader (`datasets.ts`).
 */
import type { RunDeps } from "../run/ports";
import type { Db } from "../types";

/** A dataset version as the suites read it: immutable rows and their content hash. */
export interface LoadedDatasetVersion {
  id: string;
  datasetId: string;
  version: number;
  hash: string;
  rows: unknown[];
}

/** `loadDatasetVersion` of `datasets.ts`: a workspace's dataset version, or null. */
export type DatasetVersionLoader = (
  db: Db,
  workspaceId: string,
  versionId: string,
) => Promise<LoadedDatasetVersion | null>;

export interface EvalDeps extends RunDeps {
  datasets: DatasetVersionLoader;
  /** Epoch milliseconds. Default `Date.now`. */
  now?: () => number;
  /** How long one run of a sample may take before it counts as failed. Default 5 minutes. */
  runTimeoutMs?: number;
}
