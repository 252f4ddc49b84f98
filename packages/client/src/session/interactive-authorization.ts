/**
 * The interactive step of `authFetch`: which grant the user authorizes with (the authorization code
 * flow in a browser, or the device authorization grant of RFC 8628 on a machine without one), the
 * client registration that grant needs, and the grant itself.
 *
 * ```
 * flow 'browser' ─────────────────────────────▶ resolveClientRegistration ─▶ authorizeWithBrowser
 * flow 'device'  ─ offered? (else ProtocolError) ▶ resolveClientRegistration(deviceAuthorization) ─▶ authorizeWithDevice
 * flow 'auto'    ─ chooseAuthorizationFlow ───▶ one of the above
 * ```
 */
import {
  type AuthorizationServerMetadata,
  invalidArgument,
  OAuthError,
  ProtocolError,
} from '@gatehouse/core';
import { authorizeWithBrowser } from '../authorize/authorize.js';
import { canOpenBrowser } from '../authorize/browser-availability.js';
import {
  authorizeWithDevice,
  DEVICE_CODE_GRANT_TYPE,
  offersDeviceAuthorization,
} from '../authorize/device-authorization.js';
import type { Discovery } from '../discovery/discover.js';
import type { DpopSession } from '../dpop/dpop-proof.js';
import type { TokenSet } from '../grants/token-response.js';
import type { ClientHttpOptions } from '../http.js';
import {
  type ResolveClientRegistrationOptions,
  resolveClientRegistration,
} from '../registration/resolve-client-registration.js';
import type { ClientRegistration } from '../registration/types.js';
import type { AuthFetchAuthorizationOptions } from './auth-fetch-options.js';

/**
 * How the user authorizes: `'browser'`, the authorization code flow with PKCE through a browser
 * and a loopback redirect; `'device'`, the device authorization grant (RFC 8628: a code shown to
 * type in on any other device); `'auto'`, see {@link chooseAuthorizationFlow}.
 */
export type AuthorizationFlow = 'browser' | 'device' | 'auto';

const FLOWS: ReadonlySet<string> = new Set(['browser', 'device', 'auto']);

/** The options that only the device grant takes; every other one is the browser flow's. */
const DEVICE_ONLY = ['onDeviceAuthorization', 'sleep'] as const;

/** Checks an `authFetch` `flow` option (misuse → `TypeError`); `undefined` is `'auto'`. */
export function checkAuthorizationFlow(value: unknown): AuthorizationFlow {
  if (value === undefined) return 'auto';
  if (typeof value !== 'string' || !FLOWS.has(value)) {
    throw invalidArgument('"flow" must be "browser", "device" or "auto"', 'ERR_INVALID_ARG_VALUE');
  }
  return value as AuthorizationFlow;
}

/**
 * The grant an interactive authorization uses. `'auto'` picks the device grant when the
 * authorization server offers it (`offersDeviceAuthorization`) AND the caller does not drive the
 * browser step itself (no `onAuthorizationUrl` hook, no `openBrowser`) AND no browser can be
 * opened here: `headless: true`, or, when `headless` is not set, `canOpenBrowser(env, platform)` is
 * false (an SSH session; Linux without `DISPLAY` / `WAYLAND_DISPLAY`). Otherwise the browser flow
 * (which prints the URL and waits when it cannot open a browser). `'device'` on a server that does
 * not offer the grant is a `ProtocolError` (`ERR_MISSING_ATTRIBUTE`, attribute
 * `device_authorization_endpoint`).
 *
 * @example
 * chooseAuthorizationFlow('auto', metadata, { env: { SSH_CONNECTION: '…' } }); // 'device' when offered
 */
export function chooseAuthorizationFlow(
  flow: AuthorizationFlow,
  metadata: Readonly<AuthorizationServerMetadata>,
  authorization: AuthFetchAuthorizationOptions,
): 'browser' | 'device' {
  if (flow === 'browser') return 'browser';
  const offered = offersDeviceAuthorization(metadata);
  if (flow === 'device') {
    if (!offered) {
      throw new ProtocolError(
        'ERR_MISSING_ATTRIBUTE',
        `the authorization server ${metadata.issuer} does not offer the device authorization grant (RFC 8628): sign in with a browser instead`,
        { attribute: 'device_authorization_endpoint', expected: 'an https URL', actual: undefined },
      );
    }
    return 'device';
  }
  if (!offered || authorization.onAuthorizationUrl !== undefined || authorization.openBrowser !== undefined) {
    return 'browser';
  }
  if (authorization.headless !== undefined) return authorization.headless ? 'device' : 'browser';
  return canOpenBrowser(authorization.env ?? process.env, authorization.platform ?? process.platform)
    ? 'browser'
    : 'device';
}

/** What {@link authorizeInteractively} needs. */
export interface InteractiveAuthorizationOptions {
  readonly flow: AuthorizationFlow;
  readonly discovery: Discovery;
  /** The registration options but `metadata` and `deviceAuthorization` (supplied here). */
  readonly registration: Omit<ResolveClientRegistrationOptions, 'metadata' | 'deviceAuthorization'>;
  readonly authorization: AuthFetchAuthorizationOptions;
  readonly scope: readonly string[] | undefined;
  readonly http: ClientHttpOptions;
  /** Ask for DPoP-bound tokens with this session's key (RFC 9449 §5). Default: bearer tokens. */
  readonly dpop?: DpopSession;
}

/** The outcome of {@link authorizeInteractively}. Holds secrets. */
export interface InteractiveAuthorization {
  readonly tokens: Readonly<TokenSet>;
  readonly requestedScopes: readonly string[] | undefined;
  readonly registration: ClientRegistration;
  readonly grant: 'browser' | 'device';
}

function split(authorization: AuthFetchAuthorizationOptions) {
  const browser: Record<string, unknown> = { ...authorization };
  const device: Record<string, unknown> = {};
  for (const name of DEVICE_ONLY) {
    if (authorization[name] !== undefined) device[name] = authorization[name];
    delete browser[name];
  }
  if (authorization.stderr !== undefined) device.stderr = authorization.stderr;
  return { browser, device };
}

/** The device options, with a flag raised once the user code was shown (hook called, or printed). */
function watchCodeShown(device: Record<string, unknown>) {
  let shown = false;
  const options: Record<string, unknown> = { ...device };
  const hook = device.onDeviceAuthorization as ((shown: unknown) => unknown) | undefined;
  if (hook !== undefined) {
    options.onDeviceAuthorization = (authorization: unknown) => {
      shown = true;
      return hook(authorization);
    };
  } else {
    const stderr = (device.stderr as { write(text: string): unknown } | undefined) ?? process.stderr;
    options.stderr = {
      write: (text: string) => {
        shown = true;
        return stderr.write(text);
      },
    };
  }
  return { options, shown: () => shown };
}

/**
 * Registers (or finds the registration) and runs the chosen grant. A dynamic registration that the
 * server made without the device grant, although asked for, falls back to the browser flow under
 * `'auto'`, and is a `ProtocolError` (attribute `grant_types`) under `'device'`; so does (under
 * `'auto'`) a device authorization request the server refuses with an OAuth error before any code
 * is shown (a pre-registered client without the grant).
 *
 * Rejects with the errors of the steps: `RegistrationImpossible`, `AuthorizationDenied`,
 * `AuthorizationTimeout`, `ProtocolError`, `OAuthError`.
 */
export async function authorizeInteractively(
  options: InteractiveAuthorizationOptions,
): Promise<InteractiveAuthorization> {
  const { discovery, authorization, scope, http } = options;
  const { metadata } = discovery.authorizationServer;
  let grant = chooseAuthorizationFlow(options.flow, metadata, authorization);
  const registration = await resolveClientRegistration({
    ...options.registration,
    ...http,
    metadata,
    ...(grant === 'device' ? { deviceAuthorization: true } : {}),
  });
  if (grant === 'device' && registration.grantTypes?.includes(DEVICE_CODE_GRANT_TYPE) === false) {
    if (options.flow === 'device') {
      throw new ProtocolError(
        'ERR_UNEXPECTED_VALUE',
        'the authorization server registered this client without the device authorization grant: sign in with a browser instead',
        { attribute: 'grant_types', expected: DEVICE_CODE_GRANT_TYPE, actual: registration.grantTypes },
      );
    }
    grant = 'browser';
  }
  const { browser, device } = split(authorization);
  const common = {
    ...http,
    discovery,
    registration,
    ...(scope === undefined ? {} : { scope }),
    ...(options.dpop === undefined ? {} : { dpop: options.dpop }),
  };
  if (grant === 'device') {
    const watched = watchCodeShown(device);
    try {
      const result = await authorizeWithDevice({ ...watched.options, ...common });
      return { tokens: result.tokens, requestedScopes: result.requestedScopes, registration, grant };
    } catch (error) {
      // The device authorization request refused (before any code was shown): a client the server
      // does not allow the grant, e.g. one pre-registered without it (RFC 8628 §3.1 says
      // `unauthorized_client`; some servers answer `invalid_request`). Under 'auto', the browser
      // flow instead, which prints the URL and waits when no browser opens.
      if (!(options.flow === 'auto' && error instanceof OAuthError && !watched.shown())) throw error;
      grant = 'browser';
    }
  }
  const result = await authorizeWithBrowser({ ...browser, ...common });
  return { tokens: result.tokens, requestedScopes: result.requestedScopes, registration, grant };
}
