import ipaddr from "ipaddr.js";

/**
 * The address of the TCP peer, set by the HTTP server (scripts/serve.mjs) from
 * `req.socket.remoteAddress` after deleting any value a client sent. Next.js route handlers cannot
 * see the socket, so this header is the only source of the peer address we trust.
 */
export const PEER_HEADER = "x-trustflow-peer";

/**
 * Which hops may speak for the client in `X-Forwarded-For` (`TRUST_PROXY`):
 * - `none` (unset): no one; the client address is the socket's peer address;
 * - `hops`: the nearest N proxies, whatever their address (N = 1 behind one load balancer);
 * - `list`: proxies whose address is in one of these ranges (addresses or CIDRs, IPv4 or IPv6).
 */
export type TrustProxy =
  | { kind: "none" }
  | { kind: "hops"; hops: number }
  | { kind: "list"; ranges: readonly [ipaddr.IPv4 | ipaddr.IPv6, number][] };

const MAX_HOPS = 32;

/**
 * Parses `TRUST_PROXY`: empty for none, a hop count (`1`), or a comma list of addresses and CIDRs
 * (`10.0.0.0/8, 127.0.0.1, ::1`). Throws with the offending entry named.
 */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const text = value?.trim() ?? "";
  if (!text || text === "false" || text === "0") return { kind: "none" };
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > MAX_HOPS) throw new Error(`at most ${MAX_HOPS} hops`);
    return { kind: "hops", hops };
  }
  const ranges = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry): [ipaddr.IPv4 | ipaddr.IPv6, number] => {
      try {
        if (entry.includes("/")) {
          const [addr, bits] = ipaddr.parseCIDR(entry);
          const n = normalize(addr);
          if (n === addr) return [addr, bits];
          if (bits < 96) throw new Error("mapped range too wide");
          return [n, bits - 96];
        }
        const addr = normalize(ipaddr.parse(entry));
        return [addr, addr.kind() === "ipv4" ? 32 : 128];
      } catch {
        throw new Error(`"${entry}" is neither an IP address nor a CIDR range`);
      }
    });
  return { kind: "list", ranges };
}

/** IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`, how Node reports IPv4 peers on `::`) as IPv4. */
function normalize(addr: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  return addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress()
    ? (addr as ipaddr.IPv6).toIPv4Address()
    : addr;
}

function parseAddress(text: string | null | undefined): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (!text) return null;
  let s = text.trim();
  // `[::1]:1234` and `1.2.3.4:1234` as some proxies write them.
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
  if (bracket) s = bracket[1]!;
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(s)) s = s.slice(0, s.lastIndexOf(":"));
  if (!ipaddr.isValid(s)) return null;
  try {
    return normalize(ipaddr.parse(s));
  } catch {
    return null;
  }
}

function trusted(addr: ipaddr.IPv4 | ipaddr.IPv6, trust: TrustProxy, hop: number): boolean {
  if (trust.kind === "none") return false;
  if (trust.kind === "hops") return hop < trust.hops;
  return trust.ranges.some(
    ([range, bits]) => range.kind() === addr.kind() && addr.match(range as never, bits),
  );
}

/** Reads one header from a Fetch `Headers` or a Node/next-auth plain headers object. */
function header(headers: Headers | Record<string, unknown> | undefined, name: string) {
  if (!headers) return null;
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name);
  const v = (headers as Record<string, unknown>)[name];
  if (Array.isArray(v)) return v.join(",");
  return typeof v === "string" ? v : null;
}

/**
 * The client's address, for rate limits and the session list: the peer address, or, when the peer
 * is a trusted proxy, the address it reports in `X-Forwarded-For`, walking from the nearest hop
 * while each hop is trusted (as Express's `trust proxy` does). A client cannot choose its own key:
 * without `TRUST_PROXY` the header is ignored. "unknown" when the server did not set the peer
 * (`next dev`): every such client then shares one key.
 */
export function clientAddress(
  headers: Headers | Record<string, unknown> | undefined,
  trust: TrustProxy,
): string {
  const peer = parseAddress(header(headers, PEER_HEADER));
  if (!peer) return "unknown";
  let addr = peer;
  if (trust.kind === "none") return addr.toString();
  const forwarded = (header(headers, "x-forwarded-for") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .slice(-MAX_HOPS)
    .reverse();
  for (let hop = 0; hop < forwarded.length; hop++) {
    if (!trusted(addr, trust, hop)) break;
    const next = parseAddress(forwarded[hop]);
    if (!next) break;
    addr = next;
  }
  return addr.toString();
}
