/**
 * The interaction routes: the pages oidc-provider sends the browser to when it needs the user
 * (OpenID Connect Core §3.1.2.3 authentication, §3.1.2.4 consent), and the first-account setup page.
 *
 * | route                                  | method    | does                                             |
 * | -------------------------------------- | --------- | ------------------------------------------------ |
 * | `${mountPath}/interaction/:uid`        | GET, HEAD | sign-in (prompt `login`) or consent (`consent`)  |
 * | `${mountPath}/interaction/:uid/login`  | POST      | checks the password, finishes the login prompt   |
 * | `${mountPath}/interaction/:uid/confirm`| POST      | records the grant, finishes the consent prompt   |
 * | `${mountPath}/interaction/:uid/abort`  | POST      | ends the request with `access_denied`            |
 * | `${mountPath}/setup`                   | GET, POST | first-account creation (see setup-routes.ts)     |
 * | `${mountPath}/interaction/:uid/upstream`, `${mountPath}/upstream/callback` | | upstream sign-in (upstream/index.ts) |
 *
 * Every POST checks the per-interaction CSRF token (csrf.ts) against the interaction that the
 * provider's interaction cookie names, and that it is the one in the URL. Every page carries the
 * security headers of headers.ts. Nothing is logged; no error detail reaches the page. When the
 * storage is unavailable (database down, SQLite locked: see provider/storage-errors.ts) a page
 * answers 503 with `Retry-After` and says so in plain words; any other failure is a 500 page.
 *
 * These pages set no cookie of their own: the only cookies involved are oidc-provider's interaction,
 * resume and session cookies (HttpOnly, SameSite=Lax, signed with the cookie keys, the interaction
 * cookie scoped to `${mountPath}/interaction/${uid}`; `Secure` when the provider sees https).
 */
import { channel } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { AccountService } from '../accounts/accounts.js';
import { asStorageUnavailable } from '../provider/storage-errors.js';
import type { Storage } from '../storage/contract.js';
import type { UpstreamSignIn } from '../upstream/index.js';
import { buildConsentView } from './consent-view.js';
import { type CsrfTokens, createCsrfTokens } from './csrf.js';
import { FormBodyError, readFormBody, singleField } from './form-body.js';
import { formActionSource, sendHtml } from './headers.js';
import { handleSetup } from './setup-routes.js';
import { errorMessages, renderErrorPage } from './views/error.js';
import { renderSignIn } from './views/sign-in.js';

/** Options of {@link createInteractionRoutes}. */
export interface InteractionRoutesOptions {
  /** The oidc-provider instance whose `interactions.url` is `${mountPath}/interaction/${uid}`. */
  provider: Provider;
  accounts: AccountService;
  storage: Storage;
  /** The issuer's path, e.g. `/oauth`, or `''` for a root issuer. No trailing slash. */
  mountPath: string;
  /** Resource URI → display name and scope descriptions, shown on the consent page. */
  resources: ReadonlyMap<string, { scopes: Record<string, string>; name?: string }>;
  /** Sign-in through an upstream OpenID Connect provider (its button and routes, see upstream/index.ts). */
  upstream?: UpstreamSignIn;
  /** Behind a trusted reverse proxy: the setup page also checks the forwarded client address. Default false. */
  trustProxy?: boolean;
}

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;
type ErrorKey = keyof typeof errorMessages;

const UID = /^[A-Za-z0-9_-]{1,64}$/;
/** Seconds a browser is told to wait when the storage is unavailable. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;
const diagnostics = channel('gatehouse:authorization-server');

function sendError(
  res: ServerResponse,
  status: number,
  key: ErrorKey,
  headers?: Record<string, string>,
): void {
  sendHtml(res, status, renderErrorPage(errorMessages[key]), headers === undefined ? {} : { headers });
}

function isSessionNotFound(error: unknown): boolean {
  return error instanceof Error && error.name === 'SessionNotFound';
}

/** Minutes to show for a lockout, at least one. */
function minutes(seconds: number | undefined): number {
  return Math.max(1, Math.ceil((seconds ?? 60) / 60));
}

/**
 * Creates the node:http handler of the interaction and setup pages. It resolves `true` when it
 * answered the request and `false` when the path is not one of its routes (the caller then passes
 * the request on, e.g. to oidc-provider). Options are checked now, not on the first request.
 *
 * It does NOT configure the provider: the provider's `interactions.url` must point at
 * `${mountPath}/interaction/${uid}`, and its consent policy decides when consent is asked again
 * (a stored Grant covering the request skips the page).
 *
 * @example
 * const routes = createInteractionRoutes({ provider, accounts, storage, mountPath: '/oauth', resources });
 * http.createServer(async (req, res) => { if (!(await routes(req, res))) provider.callback()(req, res); });
 */
export function createInteractionRoutes(
  options: InteractionRoutesOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const { provider, accounts, storage, mountPath, resources, upstream, trustProxy = false } = options;
  if (typeof mountPath !== 'string' || (mountPath !== '' && !/^\/[^?#]*[^/]$/.test(mountPath))) {
    throw new TypeError('"mountPath" must be "" or a path like "/oauth" without a trailing slash');
  }
  if (!(resources instanceof Map))
    throw new TypeError('"resources" must be a Map of resource URI to its description');
  const csrf: CsrfTokens = createCsrfTokens(storage.settings);
  const interactionPrefix = `${mountPath}/interaction/`;

  /** Loads the interaction the cookie names; answers with an error page and resolves undefined if none. */
  async function loadInteraction(req: IncomingMessage, res: ServerResponse, uid: string) {
    let interaction: Interaction;
    try {
      interaction = await provider.interactionDetails(req, res);
    } catch (error) {
      if (!isSessionNotFound(error)) throw error;
      sendError(res, 400, 'sessionNotFound');
      return undefined;
    }
    if (interaction.uid !== uid) {
      sendError(res, 400, 'sessionNotFound');
      return undefined;
    }
    return interaction;
  }

  async function clientOf(interaction: Interaction) {
    const clientId = String(interaction.params.client_id ?? '');
    const client = await provider.Client.find(clientId);
    const name = client?.clientName;
    return { clientId, clientName: typeof name === 'string' && name.trim() !== '' ? name : undefined };
  }

  async function showSignIn(
    res: ServerResponse,
    interaction: Interaction,
    status = 200,
    extra?: { username?: string; error?: string; headers?: Record<string, string> },
  ) {
    const base = `${interactionPrefix}${interaction.uid}`;
    const { clientName } = await clientOf(interaction);
    const page = renderSignIn({
      action: `${base}/login`,
      abortAction: `${base}/abort`,
      csrf: await csrf.issue(interaction.uid),
      clientName,
      ...(extra?.username === undefined ? {} : { username: extra.username }),
      ...(extra?.error === undefined ? {} : { error: extra.error }),
      ...(upstream === undefined
        ? {}
        : {
            upstream: { action: upstream.startAction(interaction.uid), name: upstream.name },
            localPassword: upstream.allowLocalPassword,
          }),
    });
    sendHtml(res, status, page, {
      formAction: [...formActionOf(interaction), ...((await upstream?.formActionSources()) ?? [])],
      ...(extra?.headers ? { headers: extra.headers } : {}),
    });
  }

  function formActionOf(interaction: Interaction): string[] {
    const source = formActionSource(interaction.params.redirect_uri);
    return source === undefined ? [] : [source];
  }

  async function show(req: IncomingMessage, res: ServerResponse, uid: string): Promise<void> {
    const interaction = await loadInteraction(req, res, uid);
    if (interaction === undefined) return;
    if (interaction.prompt.name === 'login') return showSignIn(res, interaction);
    if (interaction.prompt.name !== 'consent') return sendError(res, 400, 'wrongStep');
    const base = `${interactionPrefix}${interaction.uid}`;
    const accountId = interaction.session?.accountId;
    const account = accountId === undefined ? undefined : await accounts.findById(accountId);
    const view = buildConsentView({
      interaction,
      client: await clientOf(interaction),
      username: account?.username,
      resources,
      approveAction: `${base}/confirm`,
      denyAction: `${base}/abort`,
      csrf: await csrf.issue(interaction.uid),
    });
    sendHtml(res, 200, view, { formAction: formActionOf(interaction) });
  }

  /** Loads the interaction and the form of a POST and checks its CSRF token. */
  async function loadPost(req: IncomingMessage, res: ServerResponse, uid: string) {
    let form: URLSearchParams;
    try {
      form = await readFormBody(req);
    } catch (error) {
      if (!(error instanceof FormBodyError)) throw error;
      sendError(res, error.status, error.status === 413 ? 'tooLarge' : 'badForm');
      return undefined;
    }
    const interaction = await loadInteraction(req, res, uid);
    if (interaction === undefined) return undefined;
    if (!(await csrf.verify(interaction.uid, singleField(form, 'csrf')))) {
      sendError(res, 403, 'csrf');
      return undefined;
    }
    return { interaction, form };
  }

  async function login(req: IncomingMessage, res: ServerResponse, uid: string): Promise<void> {
    const loaded = await loadPost(req, res, uid);
    if (loaded === undefined) return;
    const { interaction, form } = loaded;
    if (interaction.prompt.name !== 'login') return sendError(res, 400, 'wrongStep');
    if (upstream?.allowLocalPassword === false) return sendError(res, 404, 'notFound');
    const username = singleField(form, 'username') ?? '';
    const password = singleField(form, 'password') ?? '';
    if (username === '' || password === '') {
      return showSignIn(res, interaction, 400, { username, error: 'Enter your username and password.' });
    }
    const result = await accounts.authenticate(username, password);
    if (result.ok) {
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: result.account.id } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    if (result.reason === 'locked') {
      const wait = minutes(result.retryAfterSeconds);
      return showSignIn(res, interaction, 429, {
        username,
        error: `Too many attempts: try again in ${wait} minute${wait === 1 ? '' : 's'}.`,
        headers: { 'Retry-After': String(result.retryAfterSeconds ?? 60) },
      });
    }
    return showSignIn(res, interaction, 400, { username, error: 'Wrong username or password.' });
  }

  async function confirm(req: IncomingMessage, res: ServerResponse, uid: string): Promise<void> {
    const loaded = await loadPost(req, res, uid);
    if (loaded === undefined) return;
    const { interaction } = loaded;
    const accountId = interaction.session?.accountId;
    const clientId = interaction.params.client_id;
    if (interaction.prompt.name !== 'consent' || accountId === undefined || typeof clientId !== 'string') {
      return sendError(res, 400, 'wrongStep');
    }
    const existing =
      interaction.grantId === undefined ? undefined : await provider.Grant.find(interaction.grantId);
    const grant = existing ?? new provider.Grant({ accountId, clientId });
    const details = interaction.prompt.details;
    const oidcScopes = details.missingOIDCScope;
    if (Array.isArray(oidcScopes))
      grant.addOIDCScope(oidcScopes.filter((s) => typeof s === 'string').join(' '));
    const claims = details.missingOIDCClaims;
    if (Array.isArray(claims)) grant.addOIDCClaims(claims.filter((c): c is string => typeof c === 'string'));
    const resourceScopes = details.missingResourceScopes;
    if (typeof resourceScopes === 'object' && resourceScopes !== null) {
      for (const [indicator, scopes] of Object.entries(resourceScopes)) {
        if (Array.isArray(scopes))
          grant.addResourceScope(indicator, scopes.filter((s) => typeof s === 'string').join(' '));
      }
    }
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  async function abort(req: IncomingMessage, res: ServerResponse, uid: string): Promise<void> {
    const loaded = await loadPost(req, res, uid);
    if (loaded === undefined) return;
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'The user denied the request.' },
      { mergeWithLastSubmission: false },
    );
  }

  const actions = { login, confirm, abort } as const;

  async function route(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
    if (pathname === `${mountPath}/setup`) {
      await handleSetup(req, res, { accounts, storage, action: pathname, trustProxy });
      return true;
    }
    if (upstream !== undefined && (await upstream.handle(req, res, pathname))) return true;
    if (!pathname.startsWith(interactionPrefix)) return false;
    const [uid, action, ...rest] = pathname.slice(interactionPrefix.length).split('/');
    if (uid === undefined || !UID.test(uid) || rest.length > 0) {
      sendError(res, 404, 'notFound');
      return true;
    }
    if (action === undefined) {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        sendError(res, 405, 'methodNotAllowed', { Allow: 'GET, HEAD' });
      else await show(req, res, uid);
      return true;
    }
    if (!Object.hasOwn(actions, action)) {
      sendError(res, 404, 'notFound');
      return true;
    }
    if (req.method !== 'POST') sendError(res, 405, 'methodNotAllowed', { Allow: 'POST' });
    else await actions[action as keyof typeof actions](req, res, uid);
    return true;
  }

  return async (req, res) => {
    const pathname = (req.url ?? '/').split('?', 1)[0] ?? '/';
    try {
      return await route(req, res, pathname);
    } catch (error) {
      // No detail on the page (it may hold storage or provider internals); the request still ends.
      // The error goes to the server's diagnostics channel (create-authorization-server.ts), never to a log.
      if (diagnostics.hasSubscribers) diagnostics.publish({ type: 'interaction_error', error });
      if (res.headersSent) res.end();
      else if (asStorageUnavailable(error) !== undefined) {
        sendError(res, 503, 'unavailable', { 'Retry-After': String(UNAVAILABLE_RETRY_AFTER_SECONDS) });
      } else sendError(res, 500, 'internal');
      return true;
    }
  };
}
