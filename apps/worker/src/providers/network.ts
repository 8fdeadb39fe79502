import { lookup } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { Agent, fetch } from "undici";

// Where connectors may connect. A workspace admin types the URLs of HTTP JSON and CSV integrations,
// so the worker must not become their way into the network it runs in (cloud metadata at
// 169.254.169.254, the database, its own /metrics): by default only global unicast addresses are
// reached. The check runs on the address actually connected to (a lookup hook of the connection, so
// a DNS answer cannot change between the check and the connection), for every redirect hop.
//
// An allow-list, not a list of known-bad ranges: a range nobody thought of (a new special-purpose
// block, a deprecated one, another way to embed IPv4 in IPv6) is refused until someone allows it.
// The ranges follow IANA's IPv4 and IPv6 Special-Purpose Address Registries and its IPv6 Address
// Space registry; where a block holds only a few global addresses (anycast services in 192.0.0.0/24
// and 2001::/23), the whole block is refused: no integration is served from there.

function blockList(family: "ipv4" | "ipv6", subnets: readonly (readonly [string, number])[]): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of subnets) list.addSubnet(network, prefix, family);
  return list;
}

// IPv4 is global unicast except these. Lists are per family and checked only with their own family:
// a BlockList would also match an IPv4-mapped IPv6 address against IPv4 rules, which is left to
// embeddedIpv4 below, explicitly.
const nonGlobalV4 = blockList("ipv4", [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // shared address space (carrier-grade NAT)
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation (TEST-NET-1)
  ["192.88.99.0", 24], // 6to4 relay anycast, deprecated
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation (TEST-NET-2)
  ["203.0.113.0", 24], // documentation (TEST-NET-3)
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and 255.255.255.255 broadcast
]);

// IPv6 global unicast is 2000::/3; everything outside it is reserved or special: ::/128, ::1,
// IPv4-compatible ::/96, 64:ff9b:1::/48 local translation, 100::/64 discard, 5f00::/16 SRv6,
// fc00::/7 unique local, fec0::/10 site-local, fe80::/10 link-local, ff00::/8 multicast, ...
const globalUnicastV6 = blockList("ipv6", [["2000::", 3]]);
// ... and inside it these are not global.
const nonGlobalV6 = blockList("ipv6", [
  ["2001::", 23], // IETF protocol assignments: Teredo 2001::/32 (embeds IPv4), benchmarking, ORCHID, ...
  ["2001:db8::", 32], // documentation
  ["2002::", 16], // 6to4: embeds an IPv4 address and reaches it through any relay
  ["3fff::", 20], // documentation
]);

// IPv6 addresses that stand for an IPv4 one: judged by that IPv4 address. IPv4-mapped is how a
// dual-stack socket reaches IPv4; the NAT64 well-known prefix is how an IPv6-only host does (DNS64).
const ipv4Embeddings = blockList("ipv6", [
  ["::ffff:0:0", 96],
  ["64:ff9b::", 96],
]);

/** The IPv4 address in an IPv6 address's last 32 bits. */
function embeddedIpv4(address: string): string {
  // The URL parser writes the address canonically: hex groups only (no dotted quad), zeros as "::".
  const canonical = new URL(`http://[${address}]`).hostname.slice(1, -1);
  const last = canonical.split("::").at(-1) ?? "";
  const groups = last === "" ? [] : last.split(":").map((group) => Number.parseInt(group, 16));
  const [high = 0, low = 0] = [0, 0, ...groups].slice(-2);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
}

/**
 * True for a global unicast address (one on the public internet); false for loopback, private,
 * link-local, shared, documentation, benchmarking, multicast, reserved and deprecated ranges, IPv6
 * that embeds a non-global IPv4 address, and non-addresses.
 */
export function isPublicAddress(address: string): boolean {
  // A zone index (fe80::1%eth0) belongs to a link-local address, and is no part of a global one.
  if (address.includes("%")) return false;
  const family = isIP(address);
  if (family === 4) return !nonGlobalV4.check(address, "ipv4");
  if (family !== 6) return false;
  if (ipv4Embeddings.check(address, "ipv6")) return isPublicAddress(embeddedIpv4(address));
  return globalUnicastV6.check(address, "ipv6") && !nonGlobalV6.check(address, "ipv6");
}

/** A connection the network policy refused (a private or local address). */
export class AddressRefusedError extends Error {
  readonly host: string;
  override readonly name = "AddressRefusedError";
  constructor(host: string) {
    super(`${host} is a private or local network address`);
    this.host = host;
  }
}

export interface NetworkResponse {
  status: number;
  headers: { get(name: string): string | null };
  /** The body's next chunk, or null at its end. */
  read(): Promise<Uint8Array | null>;
  /** Drops the rest of the body. */
  cancel(): Promise<void>;
}

/** One HTTP GET without following redirects (httpGet follows them itself, checking each hop). */
export interface Network {
  get(url: string, init: { headers: Record<string, string>; signal: AbortSignal }): Promise<NetworkResponse>;
}

const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) {
      callback(error, "", 0);
      return;
    }
    const allowed = addresses.filter((candidate) => isPublicAddress(candidate.address));
    const first = allowed[0];
    if (!first) {
      callback(new AddressRefusedError(hostname), "", 0);
      return;
    }
    if (options.all) callback(null, allowed);
    else callback(null, first.address, first.family);
  });
};

/**
 * The worker's network: public addresses only, or (`allowPrivate`: development and tests, whose
 * providers are servers on 127.0.0.1) anywhere.
 */
export function createNetwork(options: { allowPrivate: boolean }): Network {
  const dispatcher = new Agent(options.allowPrivate ? {} : { connect: { lookup: publicOnlyLookup } });
  return {
    async get(url, init) {
      // An address in the URL itself is connected to without a lookup: checked here.
      const host = new URL(url).hostname.replace(/^\[(.*)\]$/, "$1");
      if (!options.allowPrivate && isIP(host) !== 0 && !isPublicAddress(host)) throw new AddressRefusedError(host);
      const response = await fetch(url, { headers: init.headers, signal: init.signal, redirect: "manual", dispatcher });
      const reader = response.body?.getReader();
      return {
        status: response.status,
        headers: response.headers,
        async read() {
          if (!reader) return null;
          const chunk = await reader.read();
          if (chunk.done) return null;
          if (!(chunk.value instanceof Uint8Array)) throw new TypeError("the response body is not bytes");
          return chunk.value;
        },
        cancel: async () => {
          await reader?.cancel();
        },
      };
    },
  };
}
