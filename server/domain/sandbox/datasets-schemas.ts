/** Inputs of the dataset use cases (issue 16). */
import { z } from "zod";
import { DATASET_LIMITS } from "./datasets-parse";

/** Rows generated in one call, at most. */
export const MAX_GENERATED_ROWS = 1000;
/** Runs (or steps) recorded in one call, at most. */
export const MAX_RECORDED_ROWS = 1000;
/** Rows of one page of `rows`, at most. */
export const MAX_PAGE_ROWS = 200;
/** Differences listed in one page of `diff`, at most. */
export const MAX_DIFF_ITEMS = 500;

const id = (what: string) => z.uuid(`Not a ${what} id.`);

export const ZCreateDatasetInput = z.object({
  name: z.string().trim().min(1, "Name the dataset.").max(100, "Use at most 100 characters."),
  description: z.string().trim().max(2000, "Use at most 2000 characters.").default(""),
});

export const ZDatasetId = z.object({ id: id("dataset") });

export const ZListDatasetsInput = z
  .object({ includeArchived: z.boolean().default(false) })
  .default({ includeArchived: false });

export const ZDatasetVersionsInput = z.object({ datasetId: id("dataset") });

export const ZDatasetRowsInput = z.object({
  versionId: id("dataset version"),
  offset: z.number().int().min(0).max(DATASET_LIMITS.rows).default(0),
  limit: z.number().int().min(1).max(MAX_PAGE_ROWS).default(50),
});

export const ZDiffDatasetInput = z.object({
  fromVersionId: id("dataset version"),
  toVersionId: id("dataset version"),
  /** A column whose values identify rows (changed rows are found by it); else rows by hash. */
  key: z.string().trim().min(1).max(DATASET_LIMITS.columnName).optional(),
  offset: z
    .number()
    .int()
    .min(0)
    .max(3 * DATASET_LIMITS.rows)
    .default(0),
  limit: z.number().int().min(1).max(MAX_DIFF_ITEMS).default(100),
});

export const ZCsvColumnType = z.enum(["string", "number", "boolean", "json"]);

export const ZUploadDatasetInput = z.object({
  datasetId: id("dataset"),
  format: z.enum(["csv", "jsonl"]),
  /** The file's text; the domain counts its UTF-8 bytes against the 5 MB cap. */
  text: z
    .string()
    .min(1, "The file is empty.")
    .max(DATASET_LIMITS.uploadBytes, "The upload is larger than 5 MB."),
  /** CSV only: columns to read as numbers, booleans or JSON (others stay strings). */
  columnTypes: z
    .record(z.string().max(DATASET_LIMITS.columnName), ZCsvColumnType)
    .refine((r) => Object.keys(r).length <= DATASET_LIMITS.columns, {
      message: `At most ${DATASET_LIMITS.columns} column types.`,
    })
    .default({}),
});

export const ZGenerateDatasetInput = z.object({
  datasetId: id("dataset"),
  /** A block of the registry, e.g. `crm.contact.create`. */
  block: z
    .string()
    .trim()
    .min(1, "Name a block.")
    .max(200)
    .regex(/^[a-z0-9_.-]+$/i, "A block id, e.g. crm.contact.create."),
  /** Its major version; default the newest. */
  major: z.number().int().min(0).max(1000).optional(),
  /** Rows valid against the block's input schema, or its output schema. */
  side: z.enum(["input", "output"]),
  count: z
    .number()
    .int()
    .min(1, "Generate at least one row.")
    .max(MAX_GENERATED_ROWS, `Generate at most ${MAX_GENERATED_ROWS} rows at once.`),
  /** The same seed gives the same rows. */
  seed: z.number().int().min(0).max(2_147_483_647).default(1),
});

export const ZRecordDatasetInput = z.object({
  datasetId: id("dataset"),
  workflowId: id("flow"),
  /** A step of the flow: its inputs and output per run; else the runs' inputs and output. */
  stepId: z.string().trim().min(1).max(200).optional(),
  /** Only runs that succeeded (default) or every finished run. */
  status: z.enum(["succeeded", "finished"]).default("succeeded"),
  limit: z
    .number()
    .int()
    .min(1)
    .max(MAX_RECORDED_ROWS, `Record at most ${MAX_RECORDED_ROWS} runs at once.`)
    .default(100),
});

export type CreateDatasetInput = z.input<typeof ZCreateDatasetInput>;
export type UploadDatasetInput = z.input<typeof ZUploadDatasetInput>;
export type GenerateDatasetInput = z.input<typeof ZGenerateDatasetInput>;
export type RecordDatasetInput = z.input<typeof ZRecordDatasetInput>;
export type DiffDatasetInput = z.input<typeof ZDiffDatasetInput>;
