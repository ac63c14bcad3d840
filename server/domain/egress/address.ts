/**
 * Which resolved addresses an outbound call may reach. Classification is `ipaddr.js`'s
 * `range()` (no hand-written ranges): only `unicast` passes. IPv6 forms that embed an IPv4
 * address (IPv4-mapped `::ffff:a.b.c.d`, IPv4-translated, NAT64 `64:ff9b::/96`, 6to4
 * `2002::/16`) are judged by the IPv4 address they carry, so `::ffff:127.0.0.1` is loopback.
 */
import ipaddr from "ipaddr.js";

/** Why an address was refused (or `unicast` when it is public). */
export interface AddressClass {
  /** The normalized address (IPv6 without brackets). */
  address: string;
  /** `ipaddr.js` range name, of the embedded IPv4 address when there is one. */
  range: string;
  /** A public unicast address. */
  public: boolean;
  /** A cloud metadata endpoint (never reachable through a host name, even allow-listed). */
  metadata: boolean;
}

/** Instance metadata services (AWS, GCP, Azure, OpenStack; AWS's IPv6 one). */
const METADATA = new Set(["169.254.169.254", "169.254.170.2", "fd00:ec2::254"]);

/** IPv6 ranges whose last (or, for 6to4, second and third) 16-bit words carry an IPv4 address. */
const EMBEDS_V4_TAIL = new Set(["ipv4Mapped", "rfc6145", "rfc6052"]);

function v4FromWords(hi: number, lo: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

/** Parses an address literal (`[::1]` brackets allowed); null when it is not one. */
export function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const t = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  // isValid accepts shorthand like "127.1" and zone ids; parse normalizes both.
  if (!ipaddr.isValid(t)) return null;
  try {
    return ipaddr.parse(t);
  } catch {
    return null;
  }
}

/** Classifies one address literal. Throws on text that is no address. */
export function classifyAddress(text: string): AddressClass {
  const addr = parseAddress(text);
  if (!addr) throw new Error(`not an IP address: ${text}`);
  let judged: ipaddr.IPv4 | ipaddr.IPv6 = addr;
  if (addr.kind() === "ipv6") {
    const v6 = addr as ipaddr.IPv6;
    const range = v6.range();
    const w = v6.parts;
    if (EMBEDS_V4_TAIL.has(range)) judged = v4FromWords(w[6]!, w[7]!);
    else if (range === "6to4") judged = v4FromWords(w[1]!, w[2]!);
  }
  const range = judged.range();
  const normalized = addr.toString();
  return {
    address: normalized,
    range,
    public: range === "unicast",
    metadata: METADATA.has(normalized) || METADATA.has(judged.toString()),
  };
}
