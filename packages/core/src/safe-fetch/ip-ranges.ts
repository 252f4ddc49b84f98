/**
 * Which IP addresses `safeFetch` may connect to.
 *
 * An address is allowed only when it is globally reachable unicast. Everything else is listed in
 * one table below, built from the IANA IPv4 and IPv6 Special-Purpose Address Registries
 * (RFC 6890 and its updates) plus the cloud metadata endpoints. Each row says which
 * {@link SafeFetchPolicy} option, if any, allows it.
 *
 * IPv6 forms that embed an IPv4 address are judged by that IPv4 address: IPv4-mapped
 * `::ffff:0:0/96` (RFC 4291 §2.5.5.2), NAT64 `64:ff9b::/96` (RFC 6052) and 6to4 `2002::/16`
 * (RFC 3056). IPv6 outside `2000::/3`, the only block IANA allocates for global unicast, is refused.
 *
 * Inputs are address literals as `node:net` prints them (`isIP()` returns 4 or 6). Other spellings
 * of IPv4 (`127.1`, `0x7f.0.0.1`, `2130706433`) are not addresses here: the WHATWG URL parser
 * rewrites them to dotted decimal before they reach this module, and anything else fails closed.
 */
import { isIP } from 'node:net';

/** A policy option that widens what `safeFetch` connects to. */
export type WideningOption = 'allowLoopback' | 'dangerouslyAllowPrivateNetworks';

/** A block of addresses that is not globally reachable unicast. */
export interface SpecialRange {
  /** The block in CIDR notation, e.g. `169.254.0.0/16`. */
  readonly cidr: string;
  /** What the block is, for messages, e.g. `link-local (RFC 3927, cloud metadata endpoints)`. */
  readonly name: string;
  /** The option that allows connecting to this block; `undefined` when no option does. */
  readonly allowedBy: WideningOption | undefined;
}

/** The options of {@link isForbiddenAddress}: a subset of `SafeFetchPolicy`. */
export interface AddressPolicy {
  /** Allow 127.0.0.0/8 and ::1. Default `false`. */
  allowLoopback?: boolean;
  /** Allow RFC 1918, CGNAT 100.64.0.0/10 and unique-local fc00::/7. Default `false`. */
  dangerouslyAllowPrivateNetworks?: boolean;
}

interface Row extends SpecialRange {
  readonly bits: 32 | 128;
  readonly network: bigint;
  readonly prefix: number;
}

function row(cidr: string, name: string, allowedBy?: WideningOption): Row {
  const [address = '', prefixText = ''] = cidr.split('/');
  const family = isIP(address);
  const bits = family === 4 ? 32 : 128;
  const prefix = Number(prefixText);
  if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > bits) {
    throw new Error(`ip-ranges: bad table row ${cidr}`);
  }
  const network = family === 4 ? parseIPv4(address) : parseIPv6(address);
  return { cidr, name, allowedBy, bits, network, prefix };
}

const LOOPBACK = 'allowLoopback';
const PRIVATE = 'dangerouslyAllowPrivateNetworks';

/** IPv4 rows. First match wins, so specific rows come before the blocks that contain them. */
const IPV4_ROWS: readonly Row[] = [
  row('0.0.0.0/8', '"this network" (RFC 791; 0.0.0.0 reaches the local host)'),
  row('10.0.0.0/8', 'private network (RFC 1918)', PRIVATE),
  row('100.100.100.200/32', 'cloud metadata endpoint (Alibaba Cloud)'),
  row('100.64.0.0/10', 'shared address space, carrier-grade NAT (RFC 6598)', PRIVATE),
  row('127.0.0.0/8', 'loopback (RFC 1122)', LOOPBACK),
  row('169.254.0.0/16', 'link-local (RFC 3927), home of cloud metadata endpoints such as 169.254.169.254'),
  row('172.16.0.0/12', 'private network (RFC 1918)', PRIVATE),
  row('192.0.0.0/24', 'IETF protocol assignments (RFC 6890)'),
  row('192.0.2.0/24', 'documentation, TEST-NET-1 (RFC 5737)'),
  row('192.88.99.0/24', 'deprecated 6to4 relay anycast (RFC 7526)'),
  row('192.168.0.0/16', 'private network (RFC 1918)', PRIVATE),
  row('198.18.0.0/15', 'benchmarking (RFC 2544)'),
  row('198.51.100.0/24', 'documentation, TEST-NET-2 (RFC 5737)'),
  row('203.0.113.0/24', 'documentation, TEST-NET-3 (RFC 5737)'),
  row('224.0.0.0/4', 'multicast (RFC 5771)'),
  row('255.255.255.255/32', 'limited broadcast (RFC 919)'),
  row('240.0.0.0/4', 'reserved (RFC 1112)'),
];

/**
 * IPv6 rows, checked after the embedded-IPv4 forms. First match wins. The last row refuses
 * everything outside 2000::/3 that no earlier row named.
 */
const IPV6_ROWS: readonly Row[] = [
  row('::/128', 'unspecified address (RFC 4291)'),
  row('::1/128', 'loopback (RFC 4291)', LOOPBACK),
  row('64:ff9b:1::/48', 'local-use IPv4/IPv6 translation (RFC 8215)'),
  row('100::/64', 'discard-only (RFC 6666)'),
  row('2001::/23', 'IETF protocol assignments, including Teredo and benchmarking (RFC 2928)'),
  row('2001:db8::/32', 'documentation (RFC 3849)'),
  row('3fff::/20', 'documentation (RFC 9637)'),
  row('fd00:ec2::254/128', 'cloud metadata endpoint (AWS EC2, IPv6)'),
  row('fc00::/7', 'unique-local (RFC 4193)', PRIVATE),
  row('fe80::/10', 'link-local (RFC 4291)'),
  row('fec0::/10', 'deprecated site-local (RFC 3879)'),
  row('ff00::/8', 'multicast (RFC 4291)'),
];

const GLOBAL_UNICAST = row('2000::/3', 'global unicast');
const OUTSIDE_GLOBAL_UNICAST: SpecialRange = {
  cidr: '::/0 outside 2000::/3',
  name: 'reserved IPv6 space, outside global unicast 2000::/3 (RFC 4291)',
  allowedBy: undefined,
};
const NOT_AN_ADDRESS: SpecialRange = {
  cidr: 'n/a',
  name: 'not an IP address literal',
  allowedBy: undefined,
};

/** IPv6 blocks whose addresses carry an IPv4 address, and where it sits (bit offset from the right). */
const EMBEDDING: readonly { readonly row: Row; readonly shift: bigint; readonly via: string }[] = [
  { row: row('::ffff:0:0/96', 'IPv4-mapped IPv6 (RFC 4291)'), shift: 0n, via: 'IPv4-mapped IPv6' },
  { row: row('64:ff9b::/96', 'NAT64 well-known prefix (RFC 6052)'), shift: 0n, via: 'NAT64' },
  { row: row('2002::/16', '6to4 (RFC 3056)'), shift: 80n, via: '6to4' },
];

function matches(r: Row, value: bigint): boolean {
  const shift = BigInt(r.bits - r.prefix);
  return value >> shift === r.network >> shift;
}

/** Parses a dotted-decimal IPv4 address that `isIP()` accepted. */
function parseIPv4(address: string): bigint {
  let value = 0n;
  for (const part of address.split('.')) value = (value << 8n) | BigInt(Number(part));
  return value;
}

/** Parses an IPv6 address (no zone identifier) that `isIP()` accepted, embedded dotted IPv4 included. */
function parseIPv6(address: string): bigint {
  const groups = (text: string): number[] => {
    if (text === '') return [];
    const out: number[] = [];
    for (const part of text.split(':')) {
      if (part.includes('.')) {
        const v4 = Number(parseIPv4(part));
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        out.push(Number.parseInt(part, 16));
      }
    }
    return out;
  };
  const gap = address.indexOf('::');
  const head = groups(gap === -1 ? address : address.slice(0, gap));
  const tail = gap === -1 ? [] : groups(address.slice(gap + 2));
  const all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  let value = 0n;
  for (const group of all) value = (value << 16n) | BigInt(group);
  return value;
}

function formatIPv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

function classifyIPv4(value: bigint): SpecialRange | undefined {
  return IPV4_ROWS.find((r) => matches(r, value));
}

/**
 * The special-purpose block that `address` belongs to, or `undefined` when it is globally
 * reachable unicast. Anything that is not an IPv4 or IPv6 literal (including scoped IPv6 with a
 * `%zone`, and IPv6 in brackets) classifies as not an address, so callers fail closed.
 *
 * IPv4-mapped IPv6 takes the block of its IPv4 address (so `::ffff:127.0.0.1` is loopback). NAT64
 * and 6to4 addresses embedding a non-global IPv4 address are refused with no widening option: a
 * translator must not be used to reach private space.
 *
 * @example
 * classifyAddress('169.254.169.254')?.name; // 'link-local (RFC 3927), home of cloud metadata …'
 * classifyAddress('2606:4700::1111'); // undefined
 */
export function classifyAddress(address: string): SpecialRange | undefined {
  const family = isIP(address);
  if (family === 4) return classifyIPv4(parseIPv4(address));
  if (family !== 6 || address.includes('%')) return NOT_AN_ADDRESS;

  const value = parseIPv6(address);
  for (const { row: embedding, shift, via } of EMBEDDING) {
    if (!matches(embedding, value)) continue;
    const v4 = (value >> shift) & 0xffff_ffffn;
    const inner = classifyIPv4(v4);
    if (inner === undefined) return undefined;
    const name = `${inner.name}, reached through ${via} (${formatIPv4(v4)})`;
    return via === 'IPv4-mapped IPv6'
      ? { cidr: inner.cidr, name, allowedBy: inner.allowedBy }
      : { cidr: embedding.cidr, name, allowedBy: undefined };
  }
  const special = IPV6_ROWS.find((r) => matches(r, value));
  if (special !== undefined) return special;
  return matches(GLOBAL_UNICAST, value) ? undefined : OUTSIDE_GLOBAL_UNICAST;
}

/** Whether `range` is allowed under `policy`. */
export function isRangeAllowed(range: SpecialRange | undefined, policy: AddressPolicy = {}): boolean {
  return range === undefined || (range.allowedBy !== undefined && policy[range.allowedBy] === true);
}

/**
 * Whether `safeFetch` refuses to connect to `address` under `policy` (default: nothing widened).
 *
 * Refused with the default policy: every address that is not globally reachable unicast: private
 * (RFC 1918, unique-local fc00::/7), CGNAT 100.64.0.0/10, loopback, link-local (including cloud
 * metadata 169.254.169.254 and fd00:ec2::254), 0.0.0.0/8, multicast, broadcast, documentation,
 * benchmarking and reserved blocks, IPv6 outside 2000::/3, and IPv4-mapped / NAT64 / 6to4 forms
 * of any of those. `allowLoopback` allows 127.0.0.0/8 and ::1; `dangerouslyAllowPrivateNetworks`
 * allows RFC 1918, CGNAT and unique-local. No option allows the rest.
 *
 * Fails closed: returns `true` for anything that is not an IP address literal, such as a host
 * name, an IPv6 address in brackets or with a `%zone`, or `127.1`. It does NOT resolve names.
 *
 * @example
 * isForbiddenAddress('10.0.0.1'); // true
 * isForbiddenAddress('::ffff:10.0.0.1'); // true
 * isForbiddenAddress('127.0.0.1', { allowLoopback: true }); // false
 * isForbiddenAddress('93.184.215.14'); // false
 */
export function isForbiddenAddress(address: string, policy: AddressPolicy = {}): boolean {
  return !isRangeAllowed(classifyAddress(address), policy);
}
