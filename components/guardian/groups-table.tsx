import { formatDateTime } from "@/lib/format";
import { Badge } from "@/components/ui/badge";
import { HeadRow, Table, Td } from "@/components/ui/table";
import { CLASS_WORDS, fingerprintLine, type GroupView } from "./guardian-view";

/** The groups, the most recent failure first; a row's button opens the group. */
export function GroupsTable({
  items,
  selected,
  onSelect,
}: {
  items: GroupView[];
  selected: string | null;
  onSelect: (id: string) => void;
}) {
  return (
    <Table label="Failure groups">
      <HeadRow
        columns={[
          "Class",
          "Flow and step",
          "Message",
          "Failures",
          "First seen",
          "Last seen",
          "Fixes",
        ]}
      />
      <tbody>
        {items.map((g) => {
          const c = CLASS_WORDS[g.class];
          return (
            <tr key={g.id} className={selected === g.id ? "bg-accent-50" : undefined}>
              <Td>
                <Badge tone={c.tone}>{c.label}</Badge>
              </Td>
              <Td>
                <div className="font-medium text-zinc-900">
                  {g.flowName}
                  {g.failingVersion ? ` v${g.failingVersion}` : ""}
                </div>
                <div className="font-mono text-[11px] text-zinc-600">{fingerprintLine(g)}</div>
              </Td>
              <Td className="max-w-md">
                <div className="truncate font-mono text-xs text-zinc-800" title={g.template}>
                  {g.template || "—"}
                </div>
                <div className="truncate text-xs text-zinc-600" title={g.why.join(" ")}>
                  {g.why[1] ?? g.why[0] ?? ""}
                </div>
              </Td>
              <Td>
                {g.count}
                {g.deadLetters ? (
                  <span className="text-xs text-zinc-600"> ({g.deadLetters} dead-lettered)</span>
                ) : null}
              </Td>
              <Td className="text-xs whitespace-nowrap">{formatDateTime(g.firstSeenAt)}</Td>
              <Td className="text-xs whitespace-nowrap">{formatDateTime(g.lastSeenAt)}</Td>
              <Td className="text-xs">{g.proposals ? `${g.proposals} proposed` : c.fix}</Td>
              <Td>
                <button
                  type="button"
                  aria-expanded={selected === g.id}
                  onClick={() => onSelect(g.id)}
                  className="text-xs font-medium text-accent-700 hover:underline focus-visible:outline-2 focus-visible:outline-accent-600"
                >
                  {selected === g.id ? "Close" : "Open"}
                  <span className="sr-only">
                    {" "}
                    group {g.stepId} of {g.flowName}
                  </span>
                </button>
              </Td>
            </tr>
          );
        })}
      </tbody>
    </Table>
  );
}
