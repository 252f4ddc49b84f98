/**
 * oidc-provider's device flow page hooks (`features.deviceFlow.userCodeInputSource`,
 * `userCodeConfirmSource`, `successSource`; RFC 8628 §3.3), rendered with Gatehouse's page shell
 * (views/device.ts) and security headers (headers.ts) instead of the provider's defaults.
 *
 * oidc-provider writes these pages in its own Koa response, so each hook sets the headers on `ctx`
 * itself: the strict Content-Security-Policy of headers.ts (no script at all; `form-action 'self'`
 * is enough because every form posts to the verification URI, which redirects only to this
 * server's own sign-in, consent and resume URLs), `frame-ancestors 'none'` and `X-Frame-Options:
 * DENY`, `no-store`, `no-referrer`.
 *
 * The forms are our own markup (the provider's `form` argument is ignored: it carries an inline
 * event handler), with the provider's anti-forgery token (`xsrf`, kept in the provider's session)
 * and the field names it reads: `user_code`, `confirm`, `abort`. Nothing here looks a code up or
 * records a decision; the provider does.
 */
import type { Client, ErrorOut, KoaContextWithOIDC, UnknownObject } from 'oidc-provider';
import { clientIdHost } from './consent-view.js';
import { securityHeaders } from './headers.js';
import {
  deviceMessages,
  deviceSessionLost,
  renderDeviceDenied,
  renderDeviceSuccess,
  renderDeviceTooManyAttempts,
  renderUserCodeConfirm,
  renderUserCodeInput,
} from './views/device.js';
import { errorMessages, renderErrorPage } from './views/error.js';

/**
 * The `ctx.state` key under which the device flow middleware (../provider/device-flow.ts) leaves
 * the `user_code` of a `verification_uri_complete` link, after taking it out of the query so that
 * the provider renders the entry page instead of its self-submitting form.
 */
export const PREFILLED_USER_CODE = Symbol.for('gatehouse.deviceFlow.prefilledUserCode');

/** Longest `User-Agent` shown on the confirmation page. */
const MAX_USER_AGENT = 200;

/** Writes an HTML page with the headers of headers.ts; `status` undefined keeps the one already set. */
function send(ctx: KoaContextWithOIDC, page: string, status?: number): void {
  for (const [name, value] of Object.entries(securityHeaders())) ctx.set(name, value);
  ctx.type = 'html';
  ctx.body = page;
  if (status !== undefined) ctx.status = status;
}

/** The provider's anti-forgery token for this browser session, or undefined when it has none. */
function xsrfOf(ctx: KoaContextWithOIDC): string | undefined {
  const state: unknown = ctx.oidc.session?.state;
  if (typeof state !== 'object' || state === null) return undefined;
  const secret = (state as Record<string, unknown>).secret;
  return typeof secret === 'string' && secret !== '' ? secret : undefined;
}

function displayName(client: Client | undefined): string | undefined {
  const name: unknown = client?.clientName;
  return typeof name === 'string' && name.trim() !== '' ? name : undefined;
}

function text(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

/** Renders the entry form, or the internal error page when the provider gave no anti-forgery token. */
function sendInput(
  ctx: KoaContextWithOIDC,
  view: { userCode?: string; error?: string; notice?: string },
  status?: number,
): void {
  const xsrf = xsrfOf(ctx);
  if (xsrf === undefined) {
    send(ctx, renderErrorPage(errorMessages.internal), 500);
    return;
  }
  send(ctx, renderUserCodeInput({ action: ctx.oidc.urlFor('code_verification'), xsrf, ...view }), status);
}

/** How the entry page answers an error of the verification flow. */
interface InputOutcome {
  readonly message: string;
  readonly status: number | undefined;
  /** Put the typed code back in the field (a typo is easier to fix than to retype). */
  readonly keepCode: boolean;
}

/**
 * Maps an error of the verification flow to a plain-words message. The provider names its
 * re-render errors (`NoCodeError`, `NotFoundError`, `ExpiredError`, `AlreadyUsedError`,
 * `AbortedError`); anything else is an OAuth error (`out.error`) or an internal one.
 * Returns `'denied'` for a cancelled or denied request.
 */
export function userCodeOutcome(out: ErrorOut | undefined, err: unknown): InputOutcome | 'denied' {
  const name = err instanceof Error ? err.name : undefined;
  switch (name) {
    case 'AbortedError':
      return 'denied';
    case 'NoCodeError':
      return { message: deviceMessages.noCode, status: 400, keepCode: false };
    case 'NotFoundError':
      return { message: deviceMessages.notFound, status: 400, keepCode: true };
    case 'ExpiredError':
      return { message: deviceMessages.expired, status: 400, keepCode: false };
    case 'AlreadyUsedError':
      return { message: deviceMessages.alreadyUsed, status: 400, keepCode: false };
  }
  if (out?.error === 'access_denied') return 'denied';
  if (out?.error === 'invalid_request')
    return { message: deviceMessages.formExpired, status: 400, keepCode: false };
  return { message: deviceMessages.internal, status: undefined, keepCode: false };
}

/**
 * `features.deviceFlow.userCodeInputSource`: the entry page at the verification URI (RFC 8628
 * §3.3), also shown again with an alert after a wrong, expired or used code, and the "not
 * connected" page after the user cancelled or denied. Never a 500 for a bad code: 400 with the
 * form again.
 */
export async function userCodeInputSource(
  ctx: KoaContextWithOIDC,
  _form: string,
  out?: ErrorOut,
  err?: Error,
): Promise<void> {
  if (out === undefined && err === undefined) {
    const prefilled: unknown = (ctx.state as Record<symbol, unknown>)[PREFILLED_USER_CODE];
    sendInput(
      ctx,
      typeof prefilled === 'string' ? { userCode: prefilled, notice: deviceMessages.prefilled } : {},
    );
    return;
  }
  const outcome = userCodeOutcome(out, err);
  if (outcome === 'denied') {
    send(ctx, renderDeviceDenied(), 200);
    return;
  }
  const typed: unknown = (err as { userCode?: unknown } | undefined)?.userCode;
  sendInput(
    ctx,
    {
      error: outcome.message,
      ...(outcome.keepCode && typeof typed === 'string' ? { userCode: typed } : {}),
    },
    outcome.status,
  );
}

/**
 * The answer to a POST at the verification URI beyond the attempt limit (RFC 8628 §5.1: user codes
 * must not be guessable by trying many): 429 with `Retry-After`, and no form (the provider's session
 * and anti-forgery token are not loaded for a refused request).
 */
export function sendTooManyUserCodeAttempts(ctx: KoaContextWithOIDC, retryAfterSeconds: number): void {
  send(ctx, renderDeviceTooManyAttempts(), 429);
  ctx.set('Retry-After', String(retryAfterSeconds));
}

/**
 * The answer to a verification form that came without a usable browser session (see
 * `installDeviceFlow`): 400 and a page saying to open the link again, with no form (a form would
 * carry an anti-forgery token that was never stored).
 */
export function sendVerificationSessionLost(ctx: KoaContextWithOIDC): void {
  send(ctx, renderErrorPage(deviceSessionLost), 400);
}

/**
 * `features.deviceFlow.userCodeConfirmSource`: the confirmation page, showing the code, the client
 * and where the device asked from (RFC 8628 §5.4). "Continue" goes on to sign-in and consent;
 * "Cancel" ends the device's request with `access_denied`.
 */
export async function userCodeConfirmSource(
  ctx: KoaContextWithOIDC,
  _form: string,
  client: Client,
  deviceInfo: UnknownObject,
  userCode: string,
): Promise<void> {
  const xsrf = xsrfOf(ctx);
  if (xsrf === undefined) {
    send(ctx, renderErrorPage(errorMessages.internal), 500);
    return;
  }
  const info: Record<string, unknown> =
    typeof deviceInfo === 'object' && deviceInfo !== null ? deviceInfo : {};
  send(
    ctx,
    renderUserCodeConfirm({
      action: ctx.oidc.urlFor('code_verification'),
      xsrf,
      userCode,
      clientId: client.clientId,
      clientName: displayName(client),
      clientIdHost: clientIdHost(client.clientId),
      deviceAddress: text(info.ip, 64),
      deviceUserAgent: text(info.ua, MAX_USER_AGENT),
    }),
    200,
  );
}

/** `features.deviceFlow.successSource`: the page shown once the device has been given access. */
export async function successSource(ctx: KoaContextWithOIDC): Promise<void> {
  send(ctx, renderDeviceSuccess({ clientName: displayName(ctx.oidc.client) }), 200);
}
