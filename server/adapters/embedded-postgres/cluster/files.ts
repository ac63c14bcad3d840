/**
 * The files under the data directory (see the layout in `../cluster.ts`): where the cluster is,
 * the generated password, the owner record (which process stops the server), the start lock, the
 * server's log.
 */
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { EmbeddedPostgresError } from "./error";
import { alive, sleep } from "./process";

export interface Paths {
  dataDir: string;
  clusterDir: string;
  passwordFile: string;
  ownerFile: string;
  logFile: string;
  lockFile: string;
  locationFile: string;
}

export function pathsOf(dataDir: string): Paths {
  const d = path.resolve(dataDir);
  const locationFile = path.join(d, "postgres.location");
  const clusterDir = existsSync(locationFile)
    ? readFileSync(locationFile, "utf8").trim()
    : path.join(d, "postgres");
  return {
    dataDir: d,
    clusterDir,
    passwordFile: path.join(d, "postgres.password"),
    ownerFile: path.join(d, "postgres.owner"),
    logFile: path.join(d, "postgres.log"),
    lockFile: path.join(d, "postgres.lock"),
    locationFile,
  };
}

export function readPassword(p: Paths): string {
  try {
    return readFileSync(p.passwordFile, "utf8").trim();
  } catch {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL's password file ${p.passwordFile} is missing; the cluster in ${p.clusterDir} cannot be opened without it.`,
    );
  }
}

export function readOwner(file: string): number | null {
  try {
    const pid = Number((JSON.parse(readFileSync(file, "utf8")) as { pid: unknown }).pid);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export function writeOwner(file: string) {
  const tmp = `${file}.${process.pid}`;
  writeFileSync(tmp, JSON.stringify({ pid: process.pid, since: new Date().toISOString() }) + "\n");
  renameSync(tmp, file);
}

/** A lock file holding the pid of the process that holds it; a dead holder's lock is taken over. */
export async function lock(file: string): Promise<() => void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        if (readFileSync(file, "utf8").trim() === String(process.pid)) rmQuiet(file);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(file, "utf8").trim());
    } catch {
      continue; // released meanwhile
    }
    if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) {
      rmQuiet(file);
      continue;
    }
    if (Date.now() > deadline) {
      throw new EmbeddedPostgresError(
        `Process ${holder} has been starting the embedded PostgreSQL for two minutes (${file}).`,
      );
    }
    await sleep(50);
  }
}

export function rotateLog(file: string) {
  try {
    if (statSync(file).size > 10 * 1024 * 1024) renameSync(file, `${file}.1`);
  } catch {
    /* none yet */
  }
}

export function tail(file: string, lines = 15): string {
  try {
    const text = readFileSync(file, "utf8");
    return text.split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

export function rmQuiet(file: string) {
  try {
    unlinkSync(file);
  } catch {
    /* gone */
  }
}
