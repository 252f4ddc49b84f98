/**
 * The undici `Agent` behind `safeFetch`: every connection it opens goes to an address that was
 * checked against the policy, after name resolution, in the same step that connects. There is no
 * second resolution between the check and the connection, so DNS rebinding cannot swap the address.
 *
 * - Host names: the socket's `lookup` resolves the name, checks EVERY returned address and hands
 *   only those checked addresses to `net.connect` / `tls.connect`. One forbidden answer refuses
 *   the whole name, even if other answers are public.
 * - IP literals (no lookup happens for them): the connector checks the literal before connecting.
 * - `localhost` and `*.localhost` (RFC 6761 §6.3) must resolve to loopback addresses only.
 */
import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { ProtocolError } from '../errors.js';
import { type AddressPolicy, classifyAddress, isRangeAllowed, type SpecialRange } from './ip-ranges.js';

/** One answer of a name resolution. */
export interface ResolvedAddress {
  readonly address: string;
  /** 4 or 6. */
  readonly family: number;
}

/** Resolves a host name to all of its addresses. */
export type ResolveHost = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** The system resolver (`dns.lookup`, i.e. getaddrinfo with /etc/hosts), all answers, in its order. */
export const systemResolve: ResolveHost = (hostname) =>
  dns.promises.lookup(hostname, { all: true, order: 'verbatim' });

/** Whether `hostname` is `localhost` or a name under it (RFC 6761 §6.3), trailing dot ignored. */
export function isLocalhostName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/** The message hint naming the option that would allow `range`, or saying that none does. */
function widenHint(range: SpecialRange): string {
  return range.allowedBy === undefined
    ? 'no safeFetch policy option allows it'
    : `set "${range.allowedBy}: true" in the safeFetch policy to allow it`;
}

/** The error for a destination address the policy does not allow. */
export function refusedAddress(address: string, range: SpecialRange, hostname?: string): ProtocolError {
  const target = hostname === undefined ? address : `${address} (resolved from ${hostname})`;
  return new ProtocolError(
    'ERR_FETCH_REFUSED',
    `safeFetch refused to connect to ${target}: it is ${range.name}, ${range.cidr}; ${widenHint(range)}`,
    { attribute: 'address', expected: 'a globally reachable unicast address', actual: address },
  );
}

/** Resolves `hostname` and returns its addresses, all of which the policy allows; throws otherwise. */
async function resolveChecked(
  hostname: string,
  family: number | undefined,
  policy: AddressPolicy,
  resolve: ResolveHost,
): Promise<ResolvedAddress[]> {
  const answers = await resolve(hostname);
  const addresses = family === 4 || family === 6 ? answers.filter((a) => a.family === family) : [...answers];
  if (addresses.length === 0) {
    throw Object.assign(new Error(`no address found for ${hostname}`), { code: 'ENOTFOUND', hostname });
  }
  const localhost = isLocalhostName(hostname);
  for (const { address } of addresses) {
    const range = classifyAddress(address);
    if (!isRangeAllowed(range, policy)) throw refusedAddress(address, range!, hostname);
    if (localhost && range?.allowedBy !== 'allowLoopback') {
      throw new ProtocolError(
        'ERR_FETCH_REFUSED',
        `safeFetch refused ${hostname}: a localhost name resolved to ${address}, which is not loopback (RFC 6761 §6.3)`,
        { attribute: 'address', expected: 'a loopback address', actual: address },
      );
    }
  }
  return addresses.map(({ address, family }) => ({ address, family }));
}

/** A `net.connect` lookup that only ever yields addresses the policy allows. */
function checkedLookup(policy: AddressPolicy, resolve: ResolveHost): LookupFunction {
  return (hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
    resolveChecked(hostname, family, policy, resolve).then(
      (addresses) => {
        if (options.all) return callback(null, addresses);
        const [first] = addresses as [ResolvedAddress];
        callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

/**
 * Creates the undici `Agent` that enforces `policy` on every connection. Its `connect` checks IP
 * literal hosts itself and gives host names to a lookup that checks every resolved address.
 *
 * It does NOT check the URL scheme, userinfo or `http:` rule (safeFetch does that before
 * dispatching), does not use HTTP(S)_PROXY, and does not restrict ports.
 */
export function createCheckedAgent(policy: AddressPolicy, resolve: ResolveHost = systemResolve): Agent {
  const connectChecked = buildConnector({ lookup: checkedLookup(policy, resolve) });
  const connect: buildConnector.connector = (options, callback) => {
    if (isIP(options.hostname) !== 0) {
      const range = classifyAddress(options.hostname);
      if (!isRangeAllowed(range, policy)) {
        const error = refusedAddress(options.hostname, range!);
        queueMicrotask(() => callback(error, null));
        return;
      }
    }
    connectChecked(options, callback);
  };
  return new Agent({ connect });
}
