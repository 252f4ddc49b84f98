/**
 * The first-account setup page: shown from the one-time setup URL while no account exists. Every
 * value is escaped by the `html` template. It does NOT check the token or create the account:
 * setup-routes.ts does.
 */
import { html } from '../html.js';
import { renderPage } from '../layout.js';

/** What the setup page shows. */
export interface SetupView {
  /** Where the form posts (the setup path, without the token: the token goes in the body). */
  readonly action: string;
  /** The one-time setup token, carried in a hidden field (it doubles as the CSRF token). */
  readonly token: string;
  readonly username?: string;
  readonly error?: string;
}

/** The minimum password length, the same as the account service's rule. */
export const MIN_PASSWORD_LENGTH = 12;

/** Renders the setup form. */
export function renderSetup(view: SetupView): string {
  const body = html`
<p>Create the first account of this server. It is the account you will sign in with.</p>
${view.error === undefined ? '' : html`<p class="alert" role="alert">${view.error}</p>`}
<form method="post" action="${view.action}">
<input type="hidden" name="token" value="${view.token}">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false"
 required maxlength="64" value="${view.username ?? ''}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="new-password" required
 minlength="${MIN_PASSWORD_LENGTH}" maxlength="1024" aria-describedby="password-hint">
<p class="muted" id="password-hint">At least ${MIN_PASSWORD_LENGTH} characters.</p>
<label for="confirm">Password again</label>
<input type="password" id="confirm" name="confirm" autocomplete="new-password" required
 minlength="${MIN_PASSWORD_LENGTH}" maxlength="1024">
<div class="actions"><button type="submit">Create account</button></div>
</form>`;
  return renderPage({ title: 'Set up Gatehouse', body });
}

/** Renders the page shown after the account was created. */
export function renderSetupDone(username: string): string {
  return renderPage({
    title: 'Account created',
    body: html`<p>The account <strong>${username}</strong> was created. Sign in with it from your application.</p>
<p class="muted">This setup link no longer works. You can close this window.</p>`,
  });
}
