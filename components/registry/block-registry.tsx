import { Badge } from "@/components/ui/badge";
import { EmptyState } from "@/components/ui/empty-state";

/** What the registry page shows of a block definition (a plain, serializable view). */
export interface RegistryBlock {
  id: string;
  version: string;
  kind: string;
  title: string;
  docs: string;
  sideEffect: "none" | "read" | "write";
  baselineTrust: number;
  system?: string;
  deprecated?: { message: string; replacement?: string };
}

const KIND_ORDER = ["trigger", "connector", "control", "agent", "policy", "data", "code", "human"];
const KIND_LABEL: Record<string, string> = {
  trigger: "Triggers",
  connector: "Connectors",
  control: "Control flow",
  agent: "AI agents",
  policy: "Policies",
  data: "Data",
  code: "Code",
  human: "Human in the loop",
};

const SIDE_EFFECT_TONE = { none: "neutral", read: "accent", write: "warning" } as const;

function major(version: string) {
  return version.split(".")[0] ?? version;
}

/** The built-in block library, grouped by kind. A server component: no client JavaScript. */
export function BlockRegistry({ blocks }: { blocks: RegistryBlock[] | null }) {
  if (!blocks || blocks.length === 0) {
    return (
      <EmptyState title="The block library is not available yet">
        Built-in blocks (connectors, control flow, agents, policies, human approvals) are listed
        here once the DSL registry ships them.
      </EmptyState>
    );
  }
  const rank = (kind: string) => {
    const i = KIND_ORDER.indexOf(kind);
    return i === -1 ? KIND_ORDER.length : i;
  };
  const kinds = [...new Set(blocks.map((b) => b.kind))].sort((a, b) => rank(a) - rank(b));
  return (
    <div className="space-y-8">
      <nav aria-label="Block kinds" className="flex flex-wrap gap-2 text-xs">
        {kinds.map((k) => (
          <a
            key={k}
            href={`#kind-${k}`}
            className="rounded-full border border-zinc-200 bg-white px-2.5 py-1 text-zinc-700 hover:border-zinc-300"
          >
            {KIND_LABEL[k] ?? k} · {blocks.filter((b) => b.kind === k).length}
          </a>
        ))}
      </nav>
      {kinds.map((kind) => {
        const group = blocks
          .filter((b) => b.kind === kind)
          .sort((a, b) => a.id.localeCompare(b.id) || a.version.localeCompare(b.version));
        return (
          <section key={kind} id={`kind-${kind}`} aria-labelledby={`kind-${kind}-heading`}>
            <h2 id={`kind-${kind}-heading`} className="mb-2 text-sm font-semibold">
              {KIND_LABEL[kind] ?? kind}{" "}
              <span className="font-normal text-zinc-500">({group.length})</span>
            </h2>
            <ul className="divide-y divide-zinc-100 rounded-lg border border-zinc-200 bg-white">
              {group.map((b) => (
                <li key={`${b.id}@${b.version}`} className="px-4 py-3">
                  <div className="flex flex-wrap items-center gap-2">
                    <code className="font-mono text-sm font-medium text-zinc-900">
                      {b.id}@{major(b.version)}
                    </code>
                    <span className="text-sm text-zinc-600">{b.title}</span>
                    <span className="ml-auto flex items-center gap-1.5">
                      {b.system && <Badge>{b.system}</Badge>}
                      <Badge tone={SIDE_EFFECT_TONE[b.sideEffect]}>
                        {b.sideEffect === "none" ? "no side effect" : `${b.sideEffect}s`}
                      </Badge>
                      <Badge tone="neutral">baseline trust {b.baselineTrust.toFixed(2)}</Badge>
                      {b.deprecated && <Badge tone="danger">deprecated</Badge>}
                    </span>
                  </div>
                  {b.deprecated && (
                    <p className="mt-1 text-xs text-red-700">{b.deprecated.message}</p>
                  )}
                  <details className="mt-1 text-sm text-zinc-600">
                    <summary className="cursor-pointer text-xs text-zinc-500 hover:text-zinc-800">
                      Docs · v{b.version}
                    </summary>
                    <div className="mt-2 text-sm leading-relaxed whitespace-pre-wrap text-zinc-700">
                      {b.docs}
                    </div>
                  </details>
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </div>
  );
}
