/**
 * Who the server runs as. PostgreSQL refuses to run as root: as root, it runs as the `postgres`
 * user (created when missing), whose reach into the data directory is checked ({@link reachable}).
 * The superuser role of the cluster has the same name.
 */
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { EmbeddedPostgresError } from "./error";

/** The cluster's superuser role, and the OS user the server runs as when started by root. */
export const SUPERUSER = "postgres";

export interface ServerUser {
  uid: number;
  gid: number;
}

/** As root: the `postgres` user (created when missing); otherwise null (run as ourselves). */
export function serverUser(): ServerUser | null {
  if (process.getuid?.() !== 0) return null;
  const ids = () => {
    const u = spawnSync("id", ["-u", SUPERUSER], { encoding: "utf8" });
    const g = spawnSync("id", ["-g", SUPERUSER], { encoding: "utf8" });
    return u.status === 0 && g.status === 0
      ? { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) }
      : null;
  };
  const found = ids();
  if (found) return found;
  const shell = existsSync("/usr/sbin/nologin") ? "/usr/sbin/nologin" : "/bin/false";
  spawnSync("groupadd", ["--system", SUPERUSER]);
  const r = spawnSync(
    "useradd",
    ["--system", "--gid", SUPERUSER, "--no-create-home", "--shell", shell, SUPERUSER],
    { encoding: "utf8" },
  );
  const created = ids();
  if (!created) {
    throw new EmbeddedPostgresError(
      `PostgreSQL does not run as root, and the user "postgres" could not be created (${(r.stderr || r.error?.message || "").trim()}). ` +
        "Create it (useradd --system postgres), run as another user, or set DATABASE_URL.",
    );
  }
  return created;
}

/** Whether `user` can traverse to `dir` (each existing ancestor searchable by it). */
export function reachable(
  dir: string,
  user: ServerUser,
): { ok: true } | { ok: false; blocker: string } {
  const groups = new Set(
    spawnSync("id", ["-G", SUPERUSER], { encoding: "utf8" }).stdout.trim().split(/\s+/).map(Number),
  );
  let d = path.resolve(dir);
  const chain: string[] = [];
  for (;;) {
    chain.unshift(d);
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  for (const a of chain) {
    if (!existsSync(a)) break;
    const s = statSync(a);
    const x =
      s.uid === user.uid
        ? s.mode & 0o100
        : s.gid === user.gid || groups.has(s.gid)
          ? s.mode & 0o010
          : s.mode & 0o001;
    if (!x) return { ok: false, blocker: a };
  }
  return { ok: true };
}
