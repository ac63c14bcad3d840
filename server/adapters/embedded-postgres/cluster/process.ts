/**
 * Processes seen from outside: whether a pid lives (zombies count as gone), signals that tolerate
 * a process already gone, stopping the server in order, a free port on 127.0.0.1.
 */
import net from "node:net";
import { readFileSync } from "node:fs";

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  // A zombie (exited, not yet reaped by its parent) is gone for our purposes.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") return false;
  } catch {
    /* no /proc */
  }
  return true;
}

export function signal(pid: number, sig: NodeJS.Signals) {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** Stops the server: fast shutdown, then immediate after 30 s. */
export async function stopServer(pid: number) {
  // Fast shutdown: sessions are ended, open transactions roll back, a checkpoint is written.
  signal(pid, "SIGINT");
  const deadline = Date.now() + 30_000;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      signal(pid, "SIGQUIT"); // immediate: recovery replays the WAL at the next start
      break;
    }
    await sleep(25);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
