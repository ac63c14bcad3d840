#!/usr/bin/env node
// What one message between two processes costs on this machine: a loopback TCP ping-pong of
// 100-byte messages between this process and a child (Nagle off), one message in flight, as a
// webhook's hops are (load generator → relay → server → PostgreSQL and back). Prints the wall
// time per round trip and each side's CPU (user + system) per round trip; a round trip is two
// messages, each waking the process on the other side.
//   usage: node bench/engine/loopback-pingpong.mjs [ROUND_TRIPS=20000] [RUNS=3]
import { fork } from "node:child_process";
import net from "node:net";

if (process.argv[2] === "--echo") {
  const server = net.createServer((s) => {
    s.setNoDelay(true);
    s.on("data", (d) => s.write(d));
  });
  server.listen(0, "127.0.0.1", () => process.send({ port: server.address().port }));
  process.on("message", (m) => {
    if (m === "cpu") process.send({ cpu: process.cpuUsage() });
  });
} else {
  const n = Number(process.argv[2] ?? 20000);
  const runs = Number(process.argv[3] ?? 3);
  const child = fork(new URL(import.meta.url).pathname, ["--echo"]);
  const ask = (msg, key) =>
    new Promise((resolve) => {
      const on = (m) => {
        if (m && key in m) {
          child.off("message", on);
          resolve(m[key]);
        }
      };
      child.on("message", on);
      if (msg) child.send(msg);
    });
  const port = await ask(null, "port");
  const cpuMs = (c) => (c.user + c.system) / 1000;
  for (let r = 1; r <= runs; r++) {
    const sock = net.connect(port, "127.0.0.1");
    sock.setNoDelay(true);
    await new Promise((resolve) => sock.once("connect", resolve));
    const buf = Buffer.alloc(100);
    const childBefore = await ask("cpu", "cpu");
    const before = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await new Promise((resolve) => {
      let got = 0;
      let i = 0;
      sock.on("data", (d) => {
        got += d.length;
        while (got >= 100) {
          got -= 100;
          if (++i === n) return resolve();
          sock.write(buf);
        }
      });
      sock.write(buf);
    });
    const wallUs = Number(process.hrtime.bigint() - t0) / 1000 / n;
    const mine = process.cpuUsage(before);
    const childAfter = await ask("cpu", "cpu");
    const childMs = cpuMs(childAfter) - cpuMs(childBefore);
    sock.destroy();
    console.log(
      `run ${r}: ${n} round trips, wall ${wallUs.toFixed(1)} µs each; CPU per round trip: ` +
        `client ${((cpuMs(mine) * 1000) / n).toFixed(1)} µs (system ${(mine.system / n).toFixed(1)}), ` +
        `echo ${((childMs * 1000) / n).toFixed(1)} µs`,
    );
  }
  child.kill();
}
