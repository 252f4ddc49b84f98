/**
 * The device authorization grant (RFC 8628) for clients on a machine without a browser (an SSH
 * session, a container, WSL): the client asks for a user code, shows it with the verification URL,
 * and polls the token endpoint while the user signs in on another device.
 *
 * ```
 * device authorization request (client_id, scope, resource)        RFC 8628 §3.1
 *   ─▶ device_code, user_code, verification_uri[_complete], expires_in, interval   §3.2
 *   ─▶ show the code and URL (stderr, or the onDeviceAuthorization hook)           §3.3
 *   ─▶ poll the token endpoint every `interval` s                                  §3.4
 *        authorization_pending: wait · slow_down: interval + 5 s                  §3.5
 *        access_denied: AuthorizationDenied · expired_token / expires_in: AuthorizationTimeout
 * ```
 *
 * Like every step of the client: a request/process pair per network step
 * ({@link deviceAuthorizationRequest} / {@link processDeviceAuthorizationResponse},
 * {@link deviceCodeGrantRequest} / `processTokenResponse`), and {@link authorizeWithDevice} on top.
 */
import { invalidArgument, OAuthError, ProtocolError } from '@gatehouse/core';
import type { Discovery } from '../discovery/discover.js';
import type { DpopSession } from '../dpop/dpop-proof.js';
import { postAuthenticatedForm } from '../grants/authenticated-form-post.js';
import type { TokenEndpointClient } from '../grants/client-authentication.js';
import { scopeParameter, type TokenRequestOptions, tokenRequest } from '../grants/token-request.js';
import { oauthErrorFrom, processTokenResponse, type TokenSet } from '../grants/token-response.js';
import {
  at,
  type ClientHttpOptions,
  describeUrl,
  isSecureUrl,
  readJson,
  rejectUnknownOptions,
  resolveFetch,
  unexpectedStatus,
} from '../http.js';
import type { ClientRegistration } from '../registration/types.js';
import { selectScopes } from './authorization-request.js';
import { AuthorizationDenied, AuthorizationTimeout } from './errors.js';
import type { TextWriter } from './open-browser.js';

/** The grant type of the device access token request (RFC 8628 §3.4). */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

/** A device authorization response (RFC 8628 §3.2). `deviceCode` is a secret; the rest is shown. */
export interface DeviceAuthorization {
  readonly deviceCode: string;
  /** What the user types on the verification page. */
  readonly userCode: string;
  /** Where the user goes to type it. */
  readonly verificationUri: string;
  /** The verification URL with the code filled in, when the server offers one (for a QR code). */
  readonly verificationUriComplete: string | undefined;
  /** Seconds the codes are valid. */
  readonly expiresIn: number;
  /** Seconds to wait between polls (default 5, RFC 8628 §3.2). */
  readonly interval: number;
}

/** What {@link deviceAuthorizationRequest} asks for. */
export interface DeviceAuthorizationParameters {
  /** Required. The MCP server's canonical URI (RFC 8707). */
  readonly resource: string;
  /** Default: not sent. */
  readonly scope?: readonly string[];
}

type DeviceEndpointMetadata = Discovery['authorizationServer']['metadata'];

/** The device authorization endpoint: https, or http on loopback; else a `ProtocolError`. */
function deviceEndpoint(metadata: DeviceEndpointMetadata): string {
  const endpoint = metadata.device_authorization_endpoint;
  const url = typeof endpoint === 'string' ? URL.parse(endpoint) : null;
  if (!isSecureUrl(url)) {
    throw new ProtocolError(
      'ERR_UNEXPECTED_VALUE',
      endpoint === undefined
        ? 'the authorization server does not offer the device authorization grant (no "device_authorization_endpoint" in its metadata)'
        : `"device_authorization_endpoint"${typeof endpoint === 'string' ? ` (${describeUrl(endpoint)})` : ''} is not an https URL (http is allowed only on loopback)`,
      { attribute: 'device_authorization_endpoint', expected: 'an https URL' },
    );
  }
  return endpoint as string;
}

/** Whether the authorization server's metadata offers the device authorization grant. */
export function offersDeviceAuthorization(metadata: DeviceEndpointMetadata): boolean {
  return (
    typeof metadata.device_authorization_endpoint === 'string' &&
    (metadata.grant_types_supported === undefined ||
      metadata.grant_types_supported.includes(DEVICE_CODE_GRANT_TYPE))
  );
}

/**
 * Asks for a device code and user code (RFC 8628 §3.1), with `resource` (RFC 8707) and `scope`,
 * authenticating the client as at the token endpoint. Returns the raw `Response`.
 */
export function deviceAuthorizationRequest(
  metadata: DeviceEndpointMetadata,
  client: TokenEndpointClient,
  parameters: DeviceAuthorizationParameters,
  options?: ClientHttpOptions,
): Promise<Response> {
  if (typeof parameters?.resource !== 'string' || !URL.canParse(parameters.resource)) {
    throw invalidArgument('"resource" is required: the MCP server\'s canonical URI', 'ERR_MISSING_OPTION');
  }
  const fetchFn = resolveFetch(options);
  const url = deviceEndpoint(metadata);
  const body = new URLSearchParams({ resource: parameters.resource });
  const scope = scopeParameter(parameters.scope);
  if (scope !== undefined) body.set('scope', scope);
  const form = { client, metadata, body, acceptJson: true };
  return postAuthenticatedForm(fetchFn, url, 'device authorization endpoint', form, options?.signal);
}

const WHAT = 'device authorization response';

function positiveSeconds(value: unknown, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/**
 * Validates a device authorization response (RFC 8628 §3.2): 200 with `device_code`, `user_code`,
 * `verification_uri` (https, or http on loopback), `expires_in`, optional `interval` (default 5)
 * and `verification_uri_complete` (same origin as `verification_uri`). An RFC 6749 §5.2 error body
 * → `OAuthError`; anything else → `ProtocolError`.
 */
export async function processDeviceAuthorizationResponse(response: Response): Promise<DeviceAuthorization> {
  if (!(response instanceof Response)) {
    throw invalidArgument('"response" must be a Response', 'ERR_INVALID_ARG_TYPE');
  }
  const body = await readJson(response, WHAT);
  if (response.status !== 200) {
    throw oauthErrorFrom(body, response.status) ?? unexpectedStatus(WHAT, response, '200 (RFC 8628 §3.2)');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ProtocolError('ERR_INVALID_RESPONSE', `the ${WHAT}${at(response)} is not a JSON object`);
  }
  const fields = body as Record<string, unknown>;
  const invalid = (name: string, expected: string) =>
    new ProtocolError('ERR_INVALID_RESPONSE', `"${name}" in the ${WHAT}${at(response)} is not ${expected}`, {
      attribute: name,
      expected,
    });
  for (const name of ['device_code', 'user_code'] as const) {
    if (typeof fields[name] !== 'string' || fields[name] === '') throw invalid(name, 'a non-empty string');
  }
  const verificationUri = shownUrl(fields.verification_uri);
  if (verificationUri === undefined) throw invalid('verification_uri', 'an https URL');
  const complete =
    fields.verification_uri_complete === undefined ? undefined : shownUrl(fields.verification_uri_complete);
  if (
    fields.verification_uri_complete !== undefined &&
    (complete === undefined || new URL(complete).origin !== new URL(verificationUri).origin)
  ) {
    throw invalid('verification_uri_complete', 'an https URL on the origin of "verification_uri"');
  }
  const expiresIn = positiveSeconds(fields.expires_in, undefined);
  if (expiresIn === undefined) throw invalid('expires_in', 'a positive number');
  const interval = positiveSeconds(fields.interval, 5);
  if (interval === undefined) throw invalid('interval', 'a positive number');
  return {
    deviceCode: fields.device_code as string,
    userCode: fields.user_code as string,
    verificationUri,
    verificationUriComplete: complete,
    expiresIn,
    interval,
  };
}

/** A URL the user is told to open: https, or http on loopback, with no credentials. */
function shownUrl(value: unknown): string | undefined {
  const url = typeof value === 'string' ? URL.parse(value) : null;
  return isSecureUrl(url) ? (value as string) : undefined;
}

/** Parameters of {@link deviceCodeGrantRequest}. */
export interface DeviceCodeGrant {
  /** Required. Secret. From {@link processDeviceAuthorizationResponse}. */
  readonly deviceCode: string;
  /** Required. The MCP server's canonical URI, as in the device authorization request. */
  readonly resource: string;
}

/** The device access token request (RFC 8628 §3.4) with `resource`. Returns the raw `Response`. */
export function deviceCodeGrantRequest(
  metadata: DeviceEndpointMetadata,
  client: TokenEndpointClient,
  grant: DeviceCodeGrant,
  options?: TokenRequestOptions,
): Promise<Response> {
  if (typeof grant?.deviceCode !== 'string' || grant.deviceCode === '') {
    throw invalidArgument('"deviceCode" is required', 'ERR_MISSING_OPTION');
  }
  if (typeof grant.resource !== 'string' || !URL.canParse(grant.resource)) {
    throw invalidArgument('"resource" is required: the MCP server\'s canonical URI', 'ERR_MISSING_OPTION');
  }
  const body = new URLSearchParams({
    grant_type: DEVICE_CODE_GRANT_TYPE,
    device_code: grant.deviceCode,
    resource: grant.resource,
  });
  return tokenRequest(metadata, client, body, options);
}

/** Options of {@link authorizeWithDevice}. Each default is stated on its field. */
export interface AuthorizeWithDeviceOptions extends ClientHttpOptions {
  /** Required. The result of `discover()`. */
  readonly discovery: Discovery;
  /** Required. The client's registration at that server; it must allow the device_code grant. */
  readonly registration: ClientRegistration & Pick<TokenEndpointClient, 'privateKey'>;
  /** The scopes to ask for. Default: as `authorizeWithBrowser` (see `selectScopes`). */
  readonly scope?: readonly string[];
  /**
   * Called with the codes to show, instead of printing them (a GUI, a QR code, a test driving the
   * verification page). Default: the user code and URL are written to `stderr`.
   */
  readonly onDeviceAuthorization?: (
    authorization: Omit<DeviceAuthorization, 'deviceCode'>,
  ) => void | Promise<void>;
  /** Where the instructions are written. Default `process.stderr`. */
  readonly stderr?: TextWriter;
  /** Waits between polls; for tests. Default: a timer honouring `signal`. */
  readonly sleep?: (milliseconds: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Ask for DPoP-bound tokens (RFC 9449 §5): each poll of the token endpoint carries a proof of this
   * session's key. Default: none (bearer tokens).
   */
  readonly dpop?: DpopSession;
}

/** The result of {@link authorizeWithDevice}. Holds secrets: store it protected, never log it. */
export interface DeviceAuthorizationResult {
  readonly tokens: Readonly<TokenSet>;
  /** The scopes asked for, or `undefined` when the request carried no `scope`. */
  readonly requestedScopes: readonly string[] | undefined;
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'fetch',
  'policy',
  'signal',
  'discovery',
  'registration',
  'scope',
  'onDeviceAuthorization',
  'stderr',
  'sleep',
  'dpop',
]);

/** RFC 8628 §3.5: each `slow_down` adds 5 seconds to the polling interval. */
const SLOW_DOWN_SECONDS = 5;

function defaultSleep(milliseconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, milliseconds);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function instructions(authorization: Omit<DeviceAuthorization, 'deviceCode'>): string {
  const minutes = Math.max(1, Math.round(authorization.expiresIn / 60));
  return [
    '',
    'To authorize this client, open this URL on any device:',
    `  ${authorization.verificationUri}`,
    `and enter the code  ${authorization.userCode}  (valid for ${minutes} minute${minutes === 1 ? '' : 's'}).`,
    ...(authorization.verificationUriComplete === undefined
      ? []
      : ['Or open this URL, which has the code filled in:', `  ${authorization.verificationUriComplete}`]),
    'Waiting for you to approve…',
    '',
  ].join('\n');
}

/**
 * Runs the device authorization grant end to end: asks for the codes, shows them (stderr or
 * `onDeviceAuthorization`), then polls the token endpoint politely until the user approves
 * (RFC 8628 §3.4-3.5). Rejects with `AuthorizationDenied` (`access_denied`),
 * `AuthorizationTimeout` (`expired_token`, or `expires_in` elapsed), an `OAuthError` for any other
 * token endpoint error, a `ProtocolError` for a malformed answer, or `signal.reason`.
 *
 * Does NOT discover, register (the registration must include the device_code grant type), or
 * store tokens.
 */
export async function authorizeWithDevice(
  options: AuthorizeWithDeviceOptions,
): Promise<DeviceAuthorizationResult> {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('the options of authorizeWithDevice() must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  rejectUnknownOptions(options, KNOWN_OPTIONS, 'authorizeWithDevice()');
  const { discovery, registration, scope, fetch, policy, signal } = options;
  if (
    typeof discovery?.resource !== 'string' ||
    typeof discovery.authorizationServer?.metadata !== 'object'
  ) {
    throw invalidArgument('"discovery" is required: the result of discover()', 'ERR_MISSING_OPTION');
  }
  if (typeof registration?.clientId !== 'string') {
    throw invalidArgument(
      '"registration" is required: the result of resolveClientRegistration()',
      'ERR_MISSING_OPTION',
    );
  }
  if (registration.issuer !== discovery.authorizationServer.issuer) {
    throw invalidArgument('"registration" belongs to another authorization server than the discovered one');
  }
  const http: ClientHttpOptions = {
    ...(fetch === undefined ? {} : { fetch }),
    ...(policy === undefined ? {} : { policy }),
    ...(signal === undefined ? {} : { signal }),
  };
  const sleep = options.sleep ?? defaultSleep;
  const { metadata } = discovery.authorizationServer;
  const resource = discovery.resource;
  const requested = selectScopes({
    scope: scope ?? discovery.challengedScopes,
    resourceScopesSupported: discovery.protectedResource?.metadata.scopes_supported,
    metadata,
  });

  const device = await processDeviceAuthorizationResponse(
    await deviceAuthorizationRequest(
      metadata,
      registration,
      { resource, ...(requested === undefined ? {} : { scope: requested }) },
      http,
    ),
  );
  const { deviceCode, ...shown } = device;
  if (options.onDeviceAuthorization !== undefined) await options.onDeviceAuthorization(shown);
  else (options.stderr ?? process.stderr).write(instructions(shown));

  const deadline = Date.now() + device.expiresIn * 1000;
  const expired = (cause?: unknown) =>
    new AuthorizationTimeout(device.expiresIn * 1000, {
      message: `the device code expired after ${device.expiresIn} s before the user approved it`,
      cause,
    });
  let interval = device.interval;
  for (;;) {
    if (Date.now() + interval * 1000 > deadline) throw expired();
    await sleep(interval * 1000, signal);
    const response = await deviceCodeGrantRequest(
      metadata,
      registration,
      { deviceCode, resource },
      options.dpop === undefined ? http : { ...http, dpop: options.dpop },
    );
    try {
      const tokens = await processTokenResponse(response, {
        expectedResource: resource,
        dpop: options.dpop !== undefined,
      });
      return { tokens, requestedScopes: requested };
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      switch (error.error) {
        case 'authorization_pending':
          continue;
        case 'slow_down':
          interval += SLOW_DOWN_SECONDS;
          continue;
        case 'access_denied':
          throw new AuthorizationDenied({ cause: error });
        case 'expired_token':
          throw expired(error);
        default:
          throw error;
      }
    }
  }
}
