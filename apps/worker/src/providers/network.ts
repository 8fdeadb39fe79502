import { lookup } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { Agent, fetch } from "undici";

// Where connectors may connect. A workspace admin types the URLs of HTTP JSON and CSV integrations,
// so the worker must not become their way into the network it runs in (cloud metadata at
// 169.254.169.254, the database, its own /metrics): by default only public addresses are reached.
// The check runs on the address actually connected to (a lookup hook of the connection, so a DNS
// answer cannot change between the check and the connection), for every redirect hop.

// Two lists: a BlockList checks an IPv4 address against IPv6 rules too (as ::ffff:a.b.c.d).
const reservedV4 = new BlockList();
const reservedV6 = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  reservedV4.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  // IPv4-mapped and NAT64 addresses would carry a private IPv4 address past the list above.
  ["::ffff:0:0", 96],
  ["64:ff9b::", 96],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["2001:db8::", 32],
] as const) {
  reservedV6.addSubnet(network, prefix, "ipv6");
}

/**
 * True for an address on the public internet; false for loopback, private, link-local, reserved
 * ones and non-addresses.
 */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return family === 4 ? !reservedV4.check(address, "ipv4") : !reservedV6.check(address, "ipv6");
}

/** A connection the network policy refused (a private or local address). */
export class AddressRefusedError extends Error {
  override readonly name = "AddressRefusedError";
  constructor(readonly host: string) {
    super(`${host} is a private or local network address`);
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
