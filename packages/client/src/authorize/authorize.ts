/**
 * The authorization code flow of a native MCP client, end to end (MCP 2026-07-28 "Full client
 * discovery + authorization algorithm" steps 8-10; RFC 8252; requirements §1.4 C13, C15, C16, C20,
 * C21, checklist §10.1), as explicit steps over the request/process pairs:
 *
 * ```
 * PKCE + state (+ expected issuer recorded)
 *   ─▶ loopback listener on 127.0.0.1 ─▶ authorization URL (scope, resource, S256)
 *   ─▶ print + browser | headless | onAuthorizationUrl hook
 *   ─▶ callback: iss, state, error ─▶ code exchange (code_verifier, redirect_uri, resource)
 *   ─▶ tokens
 * ```
 */
import { invalidArgument, isLoopbackHostname } from '@gatehouse/core';
import type { Discovery } from '../discovery/discover.js';
import type { DpopSession } from '../dpop/dpop-proof.js';
import type { TokenEndpointClient } from '../grants/client-authentication.js';
import { authorizationCodeGrantRequest, type TokenRequestOptions } from '../grants/token-request.js';
import { processTokenResponse, type TokenSet } from '../grants/token-response.js';
import { type ClientHttpOptions, rejectUnknownOptions, resolveFetch } from '../http.js';
import type { ClientRegistration } from '../registration/types.js';
import { buildAuthorizationUrl, generateState, selectScopes } from './authorization-request.js';
import { processAuthorizationCallback } from './callback.js';
import { type LoopbackListenerOptions, startLoopbackListener } from './loopback-listener.js';
import { OPEN_BROWSER_OPTIONS, type OpenBrowserOptions, presentAuthorizationUrl } from './open-browser.js';
import { generatePkce } from './pkce.js';

/** Options of {@link authorizeWithBrowser}. Each default is stated on its field. */
export interface AuthorizeWithBrowserOptions extends ClientHttpOptions, OpenBrowserOptions {
  /** Required. The result of `discover()`: the resource and the authorization server's metadata. */
  readonly discovery: Discovery;
  /**
   * Required. The client's registration at that authorization server (`resolveClientRegistration`),
   * with `privateKey` for a `private_key_jwt` client.
   */
  readonly registration: ClientRegistration & Pick<TokenEndpointClient, 'privateKey'>;
  /**
   * The scopes to ask for (e.g. the union of held and challenged scopes on step-up). Default: the
   * discovery's `challengedScopes`; see `selectScopes` for the fallbacks and `offline_access`.
   */
  readonly scope?: readonly string[];
  /**
   * The loopback listener. Default: an ephemeral port on 127.0.0.1, with the path (and host) of the
   * registration's first loopback redirect URI, else `/callback`. A pre-registered redirect URI with
   * an explicit port is listened on at that port (its server may not allow any port, RFC 8252 §7.3);
   * pass `port` (a number or a range) to choose.
   */
  readonly listener?: Omit<LoopbackListenerOptions, 'signal' | 'checkCallback'>;
  /**
   * Ask for DPoP-bound tokens (RFC 9449 §5): the code is redeemed with a proof of this session's
   * key (see `TokenRequestOptions.dpop`). Default: none (bearer tokens).
   */
  readonly dpop?: DpopSession;
}

/** The result of {@link authorizeWithBrowser}. Holds secrets: store it protected, never log it. */
export interface BrowserAuthorization {
  readonly tokens: Readonly<TokenSet>;
  /** The scopes asked for, or `undefined` when the request carried no `scope`. */
  readonly requestedScopes: readonly string[] | undefined;
  /** The redirect URI used (the listener's). */
  readonly redirectUri: string;
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'fetch',
  'policy',
  'signal',
  ...OPEN_BROWSER_OPTIONS,
  'discovery',
  'registration',
  'scope',
  'listener',
  'dpop',
]);

/** The first loopback http redirect URI of the registration, parsed. */
function loopbackRedirect(registration: ClientRegistration): URL | undefined {
  for (const uri of registration.redirectUris) {
    const url = URL.parse(uri);
    if (url?.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost'))
      return url;
  }
  return undefined;
}

/** The listener options derived from the registration, overridden by the caller's. */
function listenerOptions(
  registration: ClientRegistration,
  given: AuthorizeWithBrowserOptions['listener'],
): Omit<LoopbackListenerOptions, 'signal' | 'checkCallback'> {
  const registered = loopbackRedirect(registration);
  const derived =
    registered === undefined
      ? {}
      : {
          path: registered.pathname,
          host: registered.hostname as '127.0.0.1' | 'localhost',
          ...(registration.method === 'pre-registered' && registered.port !== ''
            ? { port: Number(registered.port) }
            : {}),
        };
  return { ...derived, ...given };
}

/**
 * Whether the registration allows `redirectUri`: listed exactly, or a loopback redirect URI that
 * differs only in its port (RFC 8252 §7.3: the server must allow any port). A registration that
 * lists none is not checked (the server decides).
 */
export function isRedirectUriRegistered(redirectUri: string, registered: readonly string[]): boolean {
  if (registered.length === 0 || registered.includes(redirectUri)) return true;
  const actual = new URL(redirectUri);
  return registered.some((uri) => {
    const url = URL.parse(uri);
    return (
      url !== null &&
      url.protocol === 'http:' &&
      isLoopbackHostname(url.hostname) &&
      url.hostname === actual.hostname &&
      url.pathname === actual.pathname &&
      url.search === actual.search
    );
  });
}

function checkOptions(options: AuthorizeWithBrowserOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('the options of authorizeWithBrowser() must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  rejectUnknownOptions(options, KNOWN_OPTIONS, 'authorizeWithBrowser()');
  const { discovery, registration, listener } = options;
  if (
    typeof discovery?.resource !== 'string' ||
    typeof discovery.authorizationServer?.metadata !== 'object'
  ) {
    throw invalidArgument('"discovery" is required: the result of discover()', 'ERR_MISSING_OPTION');
  }
  if (typeof registration?.clientId !== 'string' || !Array.isArray(registration.redirectUris)) {
    throw invalidArgument(
      '"registration" is required: the result of resolveClientRegistration()',
      'ERR_MISSING_OPTION',
    );
  }
  if (registration.issuer !== discovery.authorizationServer.issuer) {
    throw invalidArgument(
      '"registration" belongs to another authorization server than the discovered one (MCP 2026-07-28 § Authorization Server Binding)',
    );
  }
  if (listener !== undefined && (typeof listener !== 'object' || listener === null)) {
    throw invalidArgument('"listener" must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  resolveFetch({
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.policy === undefined ? {} : { policy: options.policy }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
}

/**
 * Runs the authorization code flow with PKCE through the user's browser and a loopback listener,
 * and redeems the code. Steps, each its own function:
 *
 * 1. {@link generatePkce} and {@link generateState}; the expected issuer is the discovered metadata's;
 * 2. {@link startLoopbackListener} (see {@link AuthorizeWithBrowserOptions.listener}); its redirect URI
 *    must be registered ({@link isRedirectUriRegistered}), else `TypeError`;
 * 3. {@link buildAuthorizationUrl} with `resource` and the selected scopes;
 * 4. {@link presentAuthorizationUrl}: printed to `stderr`, then the browser, headless, or the
 *    `onAuthorizationUrl` hook;
 * 5. the callback, checked by {@link processAuthorizationCallback} (`iss`, `state`, `error`) before the
 *    browser is answered;
 * 6. `authorizationCodeGrantRequest` + `processTokenResponse` (`expectedResource`).
 *
 * The listener is closed whatever happens. Rejects with the step's error: `AuthorizationDenied`,
 * `AuthorizationFailed`, `AuthorizationTimeout`, a `ProtocolError` (`iss`, `state`, metadata), an
 * `OAuthError` from the token endpoint, `signal.reason`; misuse is a `TypeError`.
 *
 * Does NOT discover, register, store tokens, or retry.
 *
 * @example
 * const discovery = await discover(mcpUrl, { challenge: response });
 * const registration = await resolveClientRegistration({ metadata: discovery.authorizationServer.metadata,
 *   redirectUris: ['http://127.0.0.1/callback'], clientName: 'My agent' });
 * const { tokens } = await authorizeWithBrowser({ discovery, registration });
 */
export async function authorizeWithBrowser(
  options: AuthorizeWithBrowserOptions,
): Promise<BrowserAuthorization> {
  checkOptions(options);
  const {
    discovery,
    registration,
    scope,
    listener: given,
    fetch,
    policy,
    signal,
    dpop,
    ...browser
  } = options;
  const http: TokenRequestOptions = {
    ...(fetch === undefined ? {} : { fetch }),
    ...(policy === undefined ? {} : { policy }),
    ...(signal === undefined ? {} : { signal }),
    ...(dpop === undefined ? {} : { dpop }),
  };
  const { metadata } = discovery.authorizationServer;
  const resource = discovery.resource;

  const pkce = generatePkce();
  const state = generateState();
  const expectedIssuer = metadata.issuer;
  const requestedScope = scope ?? discovery.challengedScopes;
  const resourceScopesSupported = discovery.protectedResource?.metadata.scopes_supported;

  let code: string | undefined;
  const listener = await startLoopbackListener({
    ...listenerOptions(registration, given),
    ...(signal === undefined ? {} : { signal }),
    checkCallback: (callbackUrl) => {
      code = processAuthorizationCallback(callbackUrl, {
        expectedState: state,
        expectedIssuer,
        issParameterSupported: metadata.authorization_response_iss_parameter_supported,
      });
    },
  });
  const { redirectUri } = listener;
  try {
    if (!isRedirectUriRegistered(redirectUri, registration.redirectUris)) {
      throw invalidArgument(
        'the loopback listener\'s redirect URI is not among the registration\'s redirect URIs: pass "listener" options matching a registered one, or register this one',
      );
    }
    const url = buildAuthorizationUrl({
      metadata,
      clientId: registration.clientId,
      redirectUri,
      ...(requestedScope === undefined ? {} : { scope: requestedScope }),
      ...(resourceScopesSupported === undefined ? {} : { resourceScopesSupported }),
      resource,
      state,
      codeChallenge: pkce.codeChallenge,
    });
    await presentAuthorizationUrl(url, browser);
    await listener.waitForCallback();
  } finally {
    await listener.close();
  }
  if (code === undefined) throw new Error('unreachable: the callback was accepted without a code');

  const response = await authorizationCodeGrantRequest(
    metadata,
    registration,
    { code, codeVerifier: pkce.codeVerifier, redirectUri, resource },
    http,
  );
  const tokens = await processTokenResponse(response, {
    expectedResource: resource,
    dpop: dpop !== undefined,
  });
  return Object.freeze({
    tokens,
    requestedScopes: selectScopes({ scope: requestedScope, resourceScopesSupported, metadata }),
    redirectUri,
  });
}
