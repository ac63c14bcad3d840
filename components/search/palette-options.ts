/**
 * The command palette's options, flat and in display order: the search's groups as the server
 * sent them, then the pages whose name matches. Pure (palette-options.test.ts): the palette
 * moves a highlight along this list with the arrow keys.
 */

export interface SnippetPart {
  text: string;
  hit: boolean;
}

export interface PaletteOption {
  /** Unique in the list. */
  key: string;
  group: string;
  title: string;
  detail: string;
  snippet: SnippetPart[];
  href: string;
}

/** The server's result, as far as the palette reads it. */
export interface SearchGroupLike {
  kind: string;
  label: string;
  items: Array<{
    id: string;
    title: string;
    detail: string;
    snippet: SnippetPart[];
    href: string;
  }>;
  more: boolean;
  timedOut: boolean;
}

/** Every page of the navigation, "Go to <name>". */
export const PAGES: Array<{ label: string; href: string; keywords: string }> = [
  { label: "Workflows", href: "/workflows", keywords: "studio flows" },
  { label: "Registry", href: "/registry", keywords: "blocks" },
  { label: "Connectors", href: "/connectors", keywords: "" },
  { label: "Sandbox", href: "/sandbox", keywords: "sessions datasets evals" },
  { label: "Runs", href: "/runs", keywords: "executions" },
  { label: "Approvals", href: "/approvals", keywords: "decisions" },
  { label: "Dead letters", href: "/dead-letters", keywords: "failed reprocess" },
  { label: "Guardian", href: "/guardian", keywords: "" },
  { label: "Trust", href: "/trust", keywords: "scores" },
  { label: "Audit", href: "/audit", keywords: "ledger log" },
  { label: "Settings", href: "/settings", keywords: "members tokens secrets egress" },
];

/** The pages matching `text` (every word a prefix of a word of the name or keywords). */
export function matchingPages(text: string): PaletteOption[] {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  return PAGES.filter((p) => {
    const hay = `go to ${p.label} ${p.keywords}`.toLowerCase().split(/\s+/);
    return words.every((w) => hay.some((h) => h.startsWith(w)));
  }).map((p) => ({
    key: `page:${p.href}`,
    group: "Pages",
    title: `Go to ${p.label}`,
    detail: "",
    snippet: [],
    href: p.href,
  }));
}

export function paletteOptions(groups: SearchGroupLike[], text: string): PaletteOption[] {
  const found = groups.flatMap((g) =>
    g.items.map((item) => ({
      key: `${g.kind}:${item.id}`,
      group: g.label,
      title: item.title,
      detail: item.detail,
      snippet: item.snippet,
      href: item.href,
    })),
  );
  return [...found, ...matchingPages(text)];
}

/** The next highlighted index for a key, wrapping around; null for other keys. */
export function moveActive(key: string, active: number, count: number): number | null {
  if (count === 0) return null;
  if (key === "ArrowDown") return (active + 1) % count;
  if (key === "ArrowUp") return (active - 1 + count) % count;
  if (key === "Home") return 0;
  if (key === "End") return count - 1;
  return null;
}
