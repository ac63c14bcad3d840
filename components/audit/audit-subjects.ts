/**
 * Where an audit entry's subject lives in the studio. Pure, so the mapping is tested on its own
 * (audit-subjects.test.ts); the audit page renders the href as a link.
 */

export interface AuditSubject {
  type: string;
  id: string;
  /** From the server: the subject's current name and whether it still exists (null: unknown). */
  info: { name: string; exists: boolean } | null;
}

/** Settings sections, by the id of their heading. */
const SETTINGS = {
  members: "/settings#members-heading",
  groups: "/settings#groups-heading",
  tokens: "/settings#tokens-heading",
  secrets: "/settings#secrets-heading",
  egress: "/settings#egress-heading",
};

const PAGES: Record<string, (id: string) => string> = {
  workflow: (id) => `/studio/${encodeURIComponent(id)}`,
  run: (id) => `/runs/${encodeURIComponent(id)}`,
  connector: () => "/connectors",
  workspace: () => "/settings",
  membership: () => SETTINGS.members,
  invitation: () => SETTINGS.members,
  group: () => SETTINGS.groups,
  "api-token": () => SETTINGS.tokens,
  secret: () => SETTINGS.secrets,
  egress_allow: () => SETTINGS.egress,
  webhook: () => "/settings#webhooks-heading",
  // Agent memory is keyed by the flow's name: the list of workflows is where it is found.
  flow: () => "/workflows",
};

/**
 * The page of a subject, or null when it has none or no longer exists (a deleted workflow's
 * studio would only say "not found").
 */
export function subjectHref(subject: AuditSubject): string | null {
  if (subject.info && !subject.info.exists) return null;
  const page = PAGES[subject.type];
  return page ? page(subject.id) : null;
}

/** How the subject reads in a row: its current name, else the start of its id. */
export function subjectText(subject: AuditSubject): string {
  if (subject.info?.name) return subject.info.name;
  return /^[0-9a-f-]{36}$/i.test(subject.id) ? subject.id.slice(0, 8) : subject.id;
}

/** The audit page filtered to one subject's history. */
export function subjectHistoryHref(subject: Pick<AuditSubject, "type" | "id">): string {
  return `/audit?${new URLSearchParams({ subjectType: subject.type, subjectId: subject.id })}`;
}
