/**
 * The `safeFetch` rules that are decided from the URL alone, before any name resolution: scheme,
 * userinfo, plain `http:` only to loopback, IP literal destinations and `localhost` names.
 * Addresses behind host names are checked later, at connection time (see `dispatcher.ts`).
 */
import { isIP } from 'node:net';
import { invalidArgument, ProtocolError } from '../errors.js';
import { isLocalhostName, refusedAddress } from './dispatcher.js';
import { type AddressPolicy, classifyAddress, isRangeAllowed } from './ip-ranges.js';

const MAX_PATH_IN_MESSAGES = 80;

/** Scheme, host and path of `url` for messages: never userinfo, query or fragment. */
export function describeUrl(url: URL): string {
  const { pathname } = url;
  const path =
    pathname.length > MAX_PATH_IN_MESSAGES ? `${pathname.slice(0, MAX_PATH_IN_MESSAGES)}…` : pathname;
  return `${url.protocol}//${url.host}${path}`;
}

function refused(message: string): ProtocolError {
  return new ProtocolError('ERR_FETCH_REFUSED', `safeFetch refused ${message}`, { attribute: 'url' });
}

/**
 * Parses `input` and applies every policy rule that can be decided before resolution. Throws
 * `ProtocolError` `ERR_FETCH_REFUSED` (a `TypeError` when `input` is neither a string nor a URL).
 */
export function checkUrl(input: unknown, policy: AddressPolicy): URL {
  if (typeof input !== 'string' && !(input instanceof URL)) {
    throw invalidArgument('safeFetch "url" must be a string or a URL', 'ERR_INVALID_ARG_TYPE');
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw refused('the URL: it is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw refused(`a ${url.protocol} URL: only https: is fetched (http: only to loopback)`);
  }
  if (url.username !== '' || url.password !== '') {
    throw refused(`${describeUrl(url)}: URLs with credentials (userinfo) are never fetched`);
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const literal = isIP(host) !== 0;
  const range = literal ? classifyAddress(host) : undefined;
  const loopback = literal ? range?.allowedBy === 'allowLoopback' : isLocalhostName(host);
  const allowLoopback = policy.allowLoopback === true;
  if (url.protocol === 'http:' && !(loopback && allowLoopback)) {
    const hint = allowLoopback ? '' : ' with "allowLoopback: true" in the safeFetch policy';
    throw refused(`${describeUrl(url)}: plain http: is allowed only to loopback hosts${hint}; use https:`);
  }
  if (literal && !isRangeAllowed(range, policy)) throw refusedAddress(host, range!);
  if (!literal && loopback && !allowLoopback) {
    throw refused(
      `${describeUrl(url)}: "${host}" is a loopback name; set "allowLoopback: true" in the safeFetch policy to allow it`,
    );
  }
  return url;
}
