import Link from "next/link";
import { formatDateTime } from "@/lib/format";
import type { DeadLetterView } from "./dead-letter-view";

function Json({ label, value }: { label: string; value: unknown }) {
  return (
    <pre
      tabIndex={0}
      aria-label={label}
      className="max-h-56 overflow-auto rounded-md bg-zinc-50 p-2 font-mono text-[11px] text-zinc-800"
    >
      {value === null || value === undefined ? "—" : JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** A dead letter's detail: its inputs, attempts, error and classification, and what became of it. */
export function DeadLetterDetail({ d }: { d: DeadLetterView }) {
  return (
    <section
      aria-label={`Dead letter ${d.stepId} of run ${d.run.id.slice(0, 8)}`}
      className="grid grid-cols-1 gap-3 py-1 text-xs md:grid-cols-2"
    >
      <dl className="grid grid-cols-[max-content_1fr] content-start gap-x-4 gap-y-1">
        <dt className="text-zinc-600">Run</dt>
        <dd>
          <Link
            href={`/runs/${d.run.id}`}
            className="font-mono text-accent-700 hover:underline"
            aria-label={`Run ${d.run.id}`}
          >
            {d.run.id.slice(0, 8)}
          </Link>{" "}
          <span className="text-zinc-600">
            ({d.run.status}
            {d.run.version ? `, v${d.run.version}` : ""})
          </span>
        </dd>
        <dt className="text-zinc-600">Step</dt>
        <dd>
          <span className="font-mono">{d.stepId}</span> ·{" "}
          <span className="font-mono">{d.block}</span>
        </dd>
        <dt className="text-zinc-600">Attempts</dt>
        <dd>{d.attempts}</dd>
        <dt className="text-zinc-600">Error</dt>
        <dd>
          <span className="font-mono">{d.error.name}</span>: {d.error.message || "—"}
          {d.error.retryable ? " (retryable)" : " (not retryable)"}
        </dd>
        <dt className="text-zinc-600">Classification</dt>
        <dd>
          {d.classification.category}, {d.classification.severity} severity
        </dd>
        <dt className="text-zinc-600">Dead-lettered</dt>
        <dd>{formatDateTime(d.createdAt)}</dd>
        {d.discarded && (
          <>
            <dt className="text-zinc-600">Discarded</dt>
            <dd>
              {formatDateTime(d.discarded.at)} by {d.discarded.by ?? "—"}: “{d.discarded.reason}”
            </dd>
          </>
        )}
        {d.reprocessedRunId && (
          <>
            <dt className="text-zinc-600">Reprocessed by</dt>
            <dd>
              <Link
                href={`/runs/${d.reprocessedRunId}`}
                className="font-mono text-accent-700 hover:underline"
                aria-label={`Run ${d.reprocessedRunId}`}
              >
                {d.reprocessedRunId.slice(0, 8)}
              </Link>
            </dd>
          </>
        )}
      </dl>
      <div className="space-y-2">
        <div>
          <h4 className="mb-1 font-medium text-zinc-700">Inputs</h4>
          <Json label={`Inputs of ${d.stepId}`} value={d.inputs} />
        </div>
        {d.error.detail !== null && (
          <div>
            <h4 className="mb-1 font-medium text-zinc-700">Error detail</h4>
            <Json label={`Error detail of ${d.stepId}`} value={d.error.detail} />
          </div>
        )}
      </div>
    </section>
  );
}
