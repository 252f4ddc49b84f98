/**
 * The sign-in page (OpenID Connect Core §3.1.2.3 "authenticate the end-user", with local accounts).
 * Every value is escaped by the `html` template. It does NOT authenticate: routes.ts does.
 */
import { html } from '../html.js';
import { renderPage } from '../layout.js';

/** What the sign-in page shows. */
export interface SignInView {
  /** Where the form posts (`…/interaction/:uid/login`). */
  readonly action: string;
  /** Where the "Cancel" form posts (`…/interaction/:uid/abort`). */
  readonly abortAction: string;
  readonly csrf: string;
  /** The client's name, or undefined when it has none. */
  readonly clientName: string | undefined;
  /** The username typed before, kept on a failed attempt (never the password). */
  readonly username?: string;
  /** A plain-words problem to show above the form. */
  readonly error?: string;
  /** A "Sign in with <name>" button posting (with the CSRF token) to `action` (upstream sign-in). */
  readonly upstream?: { readonly action: string; readonly name: string };
  /** Whether the username and password form is shown. Default true. */
  readonly localPassword?: boolean;
}

/** Renders the sign-in page. */
export function renderSignIn(view: SignInView): string {
  const errorId = view.error === undefined ? undefined : 'sign-in-error';
  const body = html`
<p class="muted">${view.clientName ?? 'An application'} wants to connect to your account.</p>
${view.error === undefined ? '' : html`<p class="alert" role="alert" id="sign-in-error">${view.error}</p>`}
${
  view.upstream === undefined
    ? ''
    : html`<form method="post" action="${view.upstream.action}">
<input type="hidden" name="csrf" value="${view.csrf}">
<div class="actions"><button type="submit">Sign in with ${view.upstream.name}</button></div>
</form>
${view.localPassword === false ? '' : html`<div class="actions"><p class="muted">Or sign in with a username and password:</p></div>`}`
}
${
  view.localPassword === false
    ? ''
    : html`<form method="post" action="${view.action}">
<input type="hidden" name="csrf" value="${view.csrf}">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false"
 required maxlength="64" value="${view.username ?? ''}"${errorId === undefined ? '' : html` aria-describedby="${errorId}"`}>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required maxlength="1024">
<div class="actions"><button type="submit">Sign in</button></div>
</form>`
}
<form method="post" action="${view.abortAction}">
<input type="hidden" name="csrf" value="${view.csrf}">
<div class="actions"><button type="submit" class="secondary">Cancel</button></div>
</form>`;
  return renderPage({ title: 'Sign in', body });
}
