/**
 * How the schedule editor writes fire times: the scheduler fires in UTC (its only time zone),
 * so each time is shown in UTC and in the viewer's zone, whose offset may change between two
 * fires (daylight saving time): a daily `0 9 * * *` is 10:00 in Berlin in winter, 11:00 in summer.
 */

const utc = new Intl.DateTimeFormat("en-GB", {
  timeZone: "UTC",
  weekday: "short",
  day: "2-digit",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

const locals = new Map<string, Intl.DateTimeFormat>();
function localFormat(timeZone: string): Intl.DateTimeFormat {
  let f = locals.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      weekday: "short",
      day: "2-digit",
      month: "short",
      hour: "2-digit",
      minute: "2-digit",
      timeZoneName: "short",
    });
    locals.set(timeZone, f);
  }
  return f;
}

const UTC_ZONES = new Set(["UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Etc/Zulu"]);

/**
 * A fire time in UTC and in `timeZone` (an IANA zone; the browser's by default); `local` is
 * null when that zone is UTC itself (nothing to add).
 */
export function describeFire(
  iso: string,
  timeZone: string = Intl.DateTimeFormat().resolvedOptions().timeZone,
): { utc: string; local: string | null; timeZone: string } {
  const d = new Date(iso);
  return {
    utc: `${utc.format(d)} UTC`,
    local: UTC_ZONES.has(timeZone) ? null : localFormat(timeZone).format(d),
    timeZone,
  };
}
