#!/usr/bin/env node
// Loopback relay for the peer benchmark: /work/shared/peers/loadgen.mjs only sends plain GETs,
// while a Trustflow webhook needs a signed POST. `GET /<flow>` here becomes
// `POST <target>/api/hooks/<workspace>/<flow>?wait=1` with a fresh X-Trustflow-Signature and
// X-Trustflow-Delivery; the answer (the run's output) is piped back. The relay's own hop is part
// of every figure measured through it (a conservative bias).
//   node signing-relay.mjs PORT TARGET_ORIGIN WORKSPACE_SLUG SECRET
import crypto from "node:crypto";
import http from "node:http";

const [port, target, slug, secret] = process.argv.slice(2);
if (!port || !target || !slug || !secret) {
  console.error("usage: signing-relay.mjs PORT TARGET_ORIGIN WORKSPACE_SLUG SECRET");
  process.exit(2);
}
const t = new URL(target);
if (!["127.0.0.1", "localhost"].includes(t.hostname)) {
  console.error("refusing non-loopback target " + t.hostname);
  process.exit(2);
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
http
  .createServer((req, res) => {
    const name = (req.url ?? "/").split("?")[0].slice(1);
    // A fresh event id: the replay guard refuses the same signed content twice.
    const body = JSON.stringify({ event: crypto.randomUUID() });
    const ts = Math.floor(Date.now() / 1000);
    const sig = crypto.createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex");
    const up = http.request(
      {
        host: t.hostname,
        port: t.port,
        path: `/api/hooks/${slug}/${name}?wait=1`,
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          "x-trustflow-signature": `t=${ts},v1=${sig}`,
          "x-trustflow-delivery": crypto.randomUUID(),
        },
      },
      (r) => {
        res.writeHead(r.statusCode ?? 502, {
          "content-type": r.headers["content-type"] ?? "application/json",
        });
        r.pipe(res);
      },
    );
    up.on("error", () => {
      res.writeHead(502);
      res.end();
    });
    up.end(body);
  })
  .listen(Number(port), "127.0.0.1", () => console.log(`relay ready on ${port}`));
