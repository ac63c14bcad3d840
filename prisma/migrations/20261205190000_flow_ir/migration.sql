-- Issue 14 (hot path): a run's IR snapshot is stored once per distinct IR (`FlowIr`, keyed by
-- the SHA-256 of its JSON text, spans included) instead of in every run row: a webhook's run
-- writes only the key. Runs recorded before keep their own `ir`; the run store reads
-- `coalesce(Run.ir, FlowIr.ir)`. TEXT (not JSONB): written once, read whole, never queried
-- inside, so it is stored as sent.
CREATE TABLE "FlowIr" (
    "key" TEXT NOT NULL,
    "ir" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FlowIr_pkey" PRIMARY KEY ("key")
);

-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "irKey" TEXT,
ALTER COLUMN "ir" DROP NOT NULL;
