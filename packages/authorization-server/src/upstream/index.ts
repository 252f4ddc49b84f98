/**
 * Upstream sign-in: the sign-in step of an interaction delegated to an OpenID Connect provider (MCP
 * 2025-03-26 § Third-Party Authorization Flow; OpenID Connect Core 1.0 §3.1 as the client). The
 * upstream only authenticates the user; the tokens MCP clients get are this server's own, for the
 * local account the upstream subject maps to. Upstream tokens never leave the callback.
 *
 * | route                                      | method | does                                                   |
 * | ------------------------------------------ | ------ | ------------------------------------------------------ |
 * | `${mountPath}/interaction/:uid/upstream`   | POST   | CSRF-checked start: stores state/nonce/verifier, 303 to the upstream |
 * | `${mountPath}/upstream/callback`           | GET    | the redirect URI: checks and redeems the answer, maps the account, 303 back |
 * | `${mountPath}/interaction/:uid/upstream`   | GET    | finishes the login prompt for the verified account (`interactionFinished`) |
 *
 * Why three steps: the provider's interaction cookie is scoped to `${mountPath}/interaction/:uid`,
 * so the callback (one fixed redirect URI) cannot see it. The callback stores its result under the
 * interaction uid it found with `state`; the browser is then sent to the interaction's own path,
 * where the cookie must name that same interaction before the login is finished. A callback
 * replayed in another browser (login CSRF) therefore finishes nothing.
 */
import { channel } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { createCsrfTokens } from '../interactions/csrf.js';
import { FormBodyError, readFormBody, singleField } from '../interactions/form-body.js';
import { sendHtml } from '../interactions/headers.js';
import { errorMessages, renderErrorPage } from '../interactions/views/error.js';
import { epochSeconds, type Storage } from '../storage/contract.js';
import { linkUpstreamAccount } from './account-link.js';
import { createUpstreamAuthorizationRequest, describeUpstreamClient } from './authorize.js';
import { processUpstreamCallback, type UpstreamIdentity } from './callback.js';
import {
  createMetadataCache,
  createUpstreamHttp,
  discoverUpstream,
  type UpstreamFetch,
} from './discovery.js';
import { sendUpstreamError } from './error-page.js';
import { classifyUpstreamError } from './errors.js';
import type { ResolvedUpstreamOptions } from './options.js';
import {
  PENDING_SECONDS,
  RESULT_SECONDS,
  savePending,
  saveResult,
  takePending,
  takeResult,
} from './pending.js';

export { type UpstreamFailure, UpstreamSignInError } from './errors.js';
export { resolveUpstreamOptions, UPSTREAM_DEFAULTS, type UpstreamOptions } from './options.js';

/** Inputs of {@link createUpstreamSignIn}. */
export interface UpstreamSignInOptions {
  readonly upstream: ResolvedUpstreamOptions;
  /**
   * The oidc-provider instance, or a function returning the current one (the authorization server
   * replaces its provider when the keys change, see `reloadKeys`).
   */
  readonly provider: Provider | (() => Provider);
  readonly storage: Storage;
  /** This server's issuer (`http://127.0.0.1:8080/oauth`); the redirect URI is `${issuer}/upstream/callback`. */
  readonly issuer: string;
  /** This server's mount path (`/oauth`, or `''`). */
  readonly mountPath: string;
  /** Test seam: the fetch for upstream requests. Default: `createSafeFetch` with the upstream's loopback opt-in. */
  readonly fetch?: UpstreamFetch;
}

/** The upstream sign-in, as the interaction routes use it. */
export interface UpstreamSignIn {
  /** The button label's provider name. */
  readonly name: string;
  /** Whether the sign-in page still offers the local password form. */
  readonly allowLocalPassword: boolean;
  /** The redirect URI to register at the upstream. */
  readonly redirectUri: string;
  /** Where the sign-in page's upstream button posts. */
  startAction(uid: string): string;
  /**
   * The CSP `form-action` sources the sign-in page needs so that the browser may follow the 303
   * to the upstream: the origin of the upstream's authorization endpoint when known (discovery is
   * tried for at most 1.5 s, never fails), else the issuer's origin.
   */
  formActionSources(): Promise<string[]>;
  /** Answers the upstream routes (see the table above); resolves false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean>;
  /** Releases the connection pool. */
  close(): Promise<void>;
}

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

const UID = /^[A-Za-z0-9_-]{1,64}$/;
const diagnostics = channel('gatehouse:authorization-server');

function report(error: unknown): void {
  if (diagnostics.hasSubscribers) diagnostics.publish({ type: 'upstream_error', error });
}

/**
 * Creates the upstream sign-in of an authorization server. Nothing is fetched until a user presses
 * the button (or a sign-in page asks for {@link UpstreamSignIn.formActionSources}).
 *
 * It does NOT bind the local session to the upstream session: signing out upstream, or the upstream
 * account being disabled, does not end grants already given here (they end with their own TTLs).
 */
export function createUpstreamSignIn(options: UpstreamSignInOptions): UpstreamSignIn {
  const { upstream, storage, mountPath } = options;
  const given = options.provider;
  const currentProvider = typeof given === 'function' ? given : () => given;
  const redirectUri = `${options.issuer}/upstream/callback`;
  const callbackPath = `${mountPath}/upstream/callback`;
  const interactionPrefix = `${mountPath}/interaction/`;
  const csrf = createCsrfTokens(storage.settings);
  const { http, close } = createUpstreamHttp({
    allowLoopback: upstream.dangerouslyAllowLoopback,
    ...(options.fetch === undefined ? {} : { fetcher: options.fetch }),
  });
  const metadata = createMetadataCache(() =>
    discoverUpstream(upstream.issuer, http, upstream.dangerouslyAllowLoopback),
  );
  const signInPage = (uid: string) => `${interactionPrefix}${uid}`;

  function fail(res: ServerResponse, error: unknown, uid?: string): void {
    report(error);
    sendUpstreamError(res, classifyUpstreamError(error).reason, upstream.name, uid && signInPage(uid));
  }

  function sendError(res: ServerResponse, status: number, key: keyof typeof errorMessages): void {
    sendHtml(res, status, renderErrorPage(errorMessages[key]));
  }

  /** The interaction the cookie names, if it is `uid`; otherwise answers with an error page. */
  async function loadInteraction(req: IncomingMessage, res: ServerResponse, uid: string) {
    let interaction: Interaction;
    try {
      interaction = await currentProvider().interactionDetails(req, res);
    } catch (error) {
      if (!(error instanceof Error && error.name === 'SessionNotFound')) throw error;
      sendError(res, 400, 'sessionNotFound');
      return undefined;
    }
    if (interaction.uid !== uid) {
      sendError(res, 400, 'sessionNotFound');
      return undefined;
    }
    if (interaction.prompt.name !== 'login') {
      sendError(res, 400, 'wrongStep');
      return undefined;
    }
    return interaction;
  }

  async function start(req: IncomingMessage, res: ServerResponse, uid: string): Promise<void> {
    let form: URLSearchParams;
    try {
      form = await readFormBody(req);
    } catch (error) {
      if (!(error instanceof FormBodyError)) throw error;
      return sendError(res, error.status, error.status === 413 ? 'tooLarge' : 'badForm');
    }
    const interaction = await loadInteraction(req, res, uid);
    if (interaction === undefined) return;
    if (!(await csrf.verify(interaction.uid, singleField(form, 'csrf')))) return sendError(res, 403, 'csrf');
    let request: Awaited<ReturnType<typeof createUpstreamAuthorizationRequest>>;
    try {
      request = await createUpstreamAuthorizationRequest(await metadata.get(), {
        clientId: upstream.clientId,
        redirectUri,
        scopes: upstream.scopes,
      });
    } catch (error) {
      return fail(res, error, uid);
    }
    const expiresAt = Math.min(interaction.exp, epochSeconds() + PENDING_SECONDS);
    await savePending(
      storage.settings,
      request.state,
      { uid: interaction.uid, codeVerifier: request.codeVerifier, nonce: request.nonce },
      expiresAt,
    );
    res.writeHead(303, {
      Location: request.url.href,
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'Content-Length': '0',
    });
    res.end();
  }

  async function callback(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parameters = new URL(req.url ?? '/', 'http://callback.invalid').searchParams;
    const state = parameters.getAll('state');
    const pending = state.length === 1 ? await takePending(storage.settings, state[0]) : undefined;
    if (pending === undefined || state[0] === undefined) {
      return sendUpstreamError(res, 'state_mismatch', upstream.name);
    }
    let identity: UpstreamIdentity;
    try {
      const as = await metadata.get();
      identity = await processUpstreamCallback({
        metadata: as,
        client: describeUpstreamClient(upstream, as),
        parameters,
        expectedState: state[0],
        expectedNonce: pending.nonce,
        codeVerifier: pending.codeVerifier,
        redirectUri,
        http,
      });
    } catch (error) {
      return fail(res, error, pending.uid);
    }
    // A storage failure here is ours, not the upstream's: it reaches the routes' generic error page.
    const accountId = (await linkUpstreamAccount(storage.accounts, identity)).id;
    await saveResult(storage.settings, pending.uid, accountId, epochSeconds() + RESULT_SECONDS);
    res.writeHead(303, {
      Location: `${signInPage(pending.uid)}/upstream`,
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'Content-Length': '0',
    });
    res.end();
  }

  async function finish(req: IncomingMessage, res: ServerResponse, uid: string): Promise<void> {
    const interaction = await loadInteraction(req, res, uid);
    if (interaction === undefined) return;
    const accountId = await takeResult(storage.settings, interaction.uid);
    if (accountId === undefined || (await storage.accounts.findById(accountId)) === undefined) {
      return sendUpstreamError(res, 'state_mismatch', upstream.name, signInPage(uid));
    }
    await currentProvider().interactionFinished(
      req,
      res,
      { login: { accountId } },
      { mergeWithLastSubmission: false },
    );
  }

  function methodNotAllowed(res: ServerResponse, allow: string): void {
    sendHtml(res, 405, renderErrorPage(errorMessages.methodNotAllowed), { headers: { Allow: allow } });
  }

  async function handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
    if (pathname === callbackPath) {
      if (req.method !== 'GET') methodNotAllowed(res, 'GET');
      else await callback(req, res);
      return true;
    }
    if (!pathname.startsWith(interactionPrefix) || !pathname.endsWith('/upstream')) return false;
    const uid = pathname.slice(interactionPrefix.length, -'/upstream'.length);
    if (!UID.test(uid)) return false;
    if (req.method === 'POST') await start(req, res, uid);
    else if (req.method === 'GET') await finish(req, res, uid);
    else methodNotAllowed(res, 'GET, POST');
    return true;
  }

  async function formActionSources(): Promise<string[]> {
    let known = metadata.peek();
    if (known === undefined) {
      const timeout = new AbortController();
      const wait = new Promise<undefined>((resolve) => {
        const timer = setTimeout(resolve, 1500, undefined);
        timeout.signal.addEventListener('abort', () => clearTimeout(timer));
      });
      known = await Promise.race([metadata.get().catch(() => undefined), wait]);
      timeout.abort();
    }
    const endpoint =
      typeof known?.authorization_endpoint === 'string' ? URL.parse(known.authorization_endpoint) : null;
    return [(endpoint ?? new URL(upstream.issuer)).origin];
  }

  return {
    name: upstream.name,
    allowLocalPassword: upstream.allowLocalPassword,
    redirectUri,
    startAction: (uid) => `${signInPage(uid)}/upstream`,
    formActionSources,
    handle,
    close,
  };
}
