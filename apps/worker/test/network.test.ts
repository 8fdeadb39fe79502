import { describe, expect, test } from "vitest";
import { AddressRefusedError, createNetwork, isPublicAddress } from "../src/providers/network.ts";

// The SSRF guard's allow-list, range by range (IANA's IPv4 and IPv6 Special-Purpose Address
// Registries and IPv6 Address Space), and the refusal happening before any connection is tried.

// [address, why it is refused], the first and last address of a range where the edge matters.
const refused: ReadonlyArray<readonly [string, string]> = [
  ["0.0.0.0", "this network"],
  ["0.255.255.255", "this network"],
  ["10.0.0.1", "private"],
  ["10.255.255.255", "private"],
  ["100.64.0.0", "shared address space (CGN)"],
  ["100.127.255.255", "shared address space (CGN)"],
  ["127.0.0.1", "loopback"],
  ["127.255.255.254", "loopback"],
  ["169.254.169.254", "link-local (cloud metadata)"],
  ["172.16.0.1", "private"],
  ["172.31.255.255", "private"],
  ["192.0.0.1", "IETF protocol assignments"],
  ["192.0.0.255", "IETF protocol assignments"],
  ["192.0.2.1", "documentation (TEST-NET-1)"],
  ["192.88.99.1", "6to4 relay anycast (deprecated)"],
  ["192.88.99.255", "6to4 relay anycast (deprecated)"],
  ["192.168.1.1", "private"],
  ["198.18.0.1", "benchmarking"],
  ["198.19.255.255", "benchmarking"],
  ["198.51.100.7", "documentation (TEST-NET-2)"],
  ["203.0.113.9", "documentation (TEST-NET-3)"],
  ["224.0.0.1", "multicast"],
  ["239.255.255.250", "multicast"],
  ["240.0.0.1", "reserved"],
  ["255.255.255.255", "broadcast"],
  ["::", "unspecified"],
  ["::1", "loopback"],
  ["::8.8.8.8", "IPv4-compatible (deprecated), even of a global IPv4 address"],
  ["::a00:1", "IPv4-compatible (deprecated)"],
  ["::ffff:127.0.0.1", "IPv4-mapped loopback"],
  ["::ffff:a00:1", "IPv4-mapped private"],
  ["::ffff:169.254.169.254", "IPv4-mapped link-local"],
  ["0:0:0:0:0:ffff:c0a8:101", "IPv4-mapped private, uncompressed"],
  ["::ffff:0:0", "IPv4-mapped 0.0.0.0"],
  ["::ffff:0:a00:1", "IPv4-translated (RFC 6145)"],
  ["64:ff9b::127.0.0.1", "NAT64 of loopback"],
  ["64:ff9b::a9fe:a9fe", "NAT64 of link-local"],
  ["64:ff9b::10.0.0.1", "NAT64 of private"],
  ["64:ff9b::", "NAT64 of 0.0.0.0"],
  ["64:ff9b:1::1", "local-use IPv4/IPv6 translation"],
  ["64:ff9b:1::808:808", "local-use IPv4/IPv6 translation, even of a global IPv4 address"],
  ["64:ff9b:1:ffff:ffff:ffff:ffff:ffff", "local-use IPv4/IPv6 translation"],
  ["100::1", "discard-only"],
  ["2001::1", "Teredo"],
  ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"],
  ["2001:1::1", "IETF protocol assignments"],
  ["2001:2::1", "benchmarking"],
  ["2001:10::1", "ORCHID (deprecated)"],
  ["2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", "IETF protocol assignments"],
  ["2001:db8::1", "documentation"],
  ["2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "documentation"],
  ["2002::1", "6to4"],
  ["2002:7f00:1::1", "6to4 of loopback"],
  ["2002:808:808::1", "6to4, even of a global IPv4 address"],
  ["3fff::1", "documentation"],
  ["4000::1", "reserved by IETF (outside 2000::/3)"],
  ["5f00::1", "SRv6 SIDs"],
  ["fc00::1", "unique local"],
  ["fd00::1", "unique local"],
  ["fe80::1", "link-local"],
  ["fe80::1%eth0", "link-local with a zone"],
  ["fec0::1", "site-local (deprecated)"],
  ["feff:ffff::1", "site-local (deprecated)"],
  ["ff02::1", "multicast"],
  ["ff0e::1", "multicast"],
  ["not an address", "not an address"],
  ["", "not an address"],
  ["localhost", "a name, not an address"],
];

const allowed: ReadonlyArray<readonly [string, string]> = [
  ["8.8.8.8", "Google Public DNS"],
  ["1.1.1.1", "Cloudflare DNS"],
  ["140.82.112.3", "github.com"],
  ["100.63.255.255", "just below 100.64.0.0/10"],
  ["100.128.0.0", "just above 100.64.0.0/10"],
  ["172.32.0.1", "just above 172.16.0.0/12"],
  ["192.88.98.255", "just below 192.88.99.0/24"],
  ["192.88.100.0", "just above 192.88.99.0/24"],
  ["198.17.255.255", "just below 198.18.0.0/15"],
  ["198.20.0.0", "just above 198.18.0.0/15"],
  ["223.255.255.255", "just below multicast"],
  ["192.31.196.1", "AS112 (global)"],
  ["2606:4700:4700::1111", "Cloudflare DNS"],
  ["2001:4860:4860::8888", "Google Public DNS"],
  ["2a00:1450:4001:82b::200e", "google.com"],
  ["2001:200::1", "just above 2001::/23"],
  ["2620:4f:8000::1", "AS112 (global)"],
  ["3ffe:ffff::1", "last of 2000::/3 before 3fff::/20"],
  ["::ffff:8.8.8.8", "IPv4-mapped global"],
  ["::ffff:808:808", "IPv4-mapped global, hex"],
  ["64:ff9b::8.8.8.8", "NAT64 (DNS64) of a global address"],
  ["64:ff9b::8c52:7003", "NAT64 (DNS64) of github.com"],
];

describe("the address policy: global unicast only", () => {
  test.each(refused)("%s is refused (%s)", (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  test.each(allowed)("%s is allowed (%s)", (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe("a URL whose host is an address", () => {
  // Never connected to: the check throws before fetch (the connection's lookup hook is not called
  // for an address). Before the allow-list these were tried, and failed some other way or not at all.
  test.each([
    "http://[64:ff9b:1::7f00:1]/",
    "http://[2002:7f00:1::1]/",
    "http://[fec0::1]/",
    "http://[::7f00:1]/",
    "http://[2001::7f00:1]/",
    "http://192.88.99.1/",
    "http://[::ffff:127.0.0.1]/",
    "http://[64:ff9b::127.0.0.1]/",
    "http://2130706433/", // 127.0.0.1 written as one number: the URL parser makes it an address
  ])("%s is refused before any connection", async (url) => {
    const network = createNetwork({ allowPrivate: false });
    const error: unknown = await network.get(url, { headers: {}, signal: AbortSignal.timeout(120_000) }).then(
      () => null,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(AddressRefusedError);
  });
});
