/**
 * The device authorization grant's pages (RFC 8628 §3.3 "user interaction"): the user-code entry
 * page at the verification URI, the confirmation page that shows the code and the device's
 * details (RFC 8628 §5.4 "remote phishing": the user checks the code matches the one on their
 * device), the success page, and the page shown when the user cancelled or denied.
 *
 * Every value is escaped by the `html` template; the pages have no script. They do NOT look the
 * code up, check the form's anti-forgery token or record anything: oidc-provider does, through the
 * hooks in ../device-pages.ts.
 */
import { html } from '../html.js';
import { renderPage } from '../layout.js';

/** Longest user code echoed back into the entry form (what was typed; longer input is cut). */
export const MAX_ECHOED_USER_CODE = 64;

/** What the user-code entry page shows. */
export interface UserCodeInputView {
  /** Where the form posts (the provider's verification URI). */
  readonly action: string;
  /** The provider's anti-forgery token for this browser session (form field `xsrf`). */
  readonly xsrf: string;
  /** A code to put in the field: from `verification_uri_complete`, or the one just mistyped. */
  readonly userCode?: string;
  /** A plain-words problem, shown as an alert and tied to the field. */
  readonly error?: string;
  /** A plain-words note above the form (e.g. "check this code matches your device"). */
  readonly notice?: string;
}

/** What the confirmation page shows. */
export interface UserCodeConfirmView {
  readonly action: string;
  readonly xsrf: string;
  /** The code as the device shows it (with the mask's dash), e.g. `BCDF-GHJK`. */
  readonly userCode: string;
  readonly clientId: string;
  readonly clientName: string | undefined;
  /** The host of an https `client_id` (a Client ID Metadata Document), else undefined. */
  readonly clientIdHost: string | undefined;
  /** Where the device asked from, as the server saw it. */
  readonly deviceAddress: string | undefined;
  /** The device's `User-Agent` header, cut to a readable length. */
  readonly deviceUserAgent: string | undefined;
}

/** What the success page shows. */
export interface DeviceSuccessView {
  readonly clientName: string | undefined;
}

/** The fixed sentences of the entry page's alerts. */
export const deviceMessages = {
  noCode: 'Enter the code shown on your device.',
  notFound: 'That code was not recognised. Check it against the code shown on your device and try again.',
  expired: 'That code has expired. Start again on your device to get a new code.',
  alreadyUsed: 'That code has already been used. Start again on your device to get a new code.',
  formExpired: 'This form has expired. Enter the code again.',
  internal: 'Something went wrong. Enter the code again, or start again on your device.',
  prefilled: 'Check that this code is the one shown on your device, then continue.',
} as const;

/** The page for a verification form that arrived without its browser session (no cookie, or an expired one). */
export const deviceSessionLost = {
  title: 'This page has expired',
  message:
    'Open the address shown on your device again and enter the code. If this keeps happening, allow cookies for this site.',
} as const;

/** Renders the user-code entry page. */
export function renderUserCodeInput(view: UserCodeInputView): string {
  const describedBy = view.error === undefined ? 'user-code-hint' : 'user-code-error user-code-hint';
  const code = view.userCode?.slice(0, MAX_ECHOED_USER_CODE) ?? '';
  const body = html`
<p>Enter the code shown on your device: the terminal, container or app that sent you here.</p>
${view.notice === undefined ? '' : html`<p class="warning" role="note">${view.notice}</p>`}
${view.error === undefined ? '' : html`<p class="alert" role="alert" id="user-code-error">${view.error}</p>`}
<form method="post" action="${view.action}">
<input type="hidden" name="xsrf" value="${view.xsrf}">
<label for="user-code">Code</label>
<input type="text" class="user-code" id="user-code" name="user_code" autocomplete="off" autocapitalize="characters"
 spellcheck="false" required maxlength="${MAX_ECHOED_USER_CODE}" value="${code}" aria-describedby="${describedBy}"${view.error === undefined ? '' : html` aria-invalid="true"`}>
<p class="muted" id="user-code-hint">Eight letters, like BCDF-GHJK. Upper or lower case; the dash is optional.</p>
<div class="actions"><button type="submit">Continue</button></div>
</form>`;
  return renderPage({ title: 'Connect a device', body });
}

/** Renders the confirmation page (Continue goes on to sign-in and consent; Cancel denies the device). */
export function renderUserCodeConfirm(view: UserCodeConfirmView): string {
  const name = view.clientName ?? 'An application';
  const identity =
    view.clientIdHost === undefined
      ? html`<p><strong>${name}</strong> on a device is asking to connect to your account.</p>`
      : html`<p>An application from</p>
<p class="host">${view.clientIdHost}</p>
<p>calling itself <strong>${name}</strong> is asking, from a device, to connect to your account.</p>`;
  const hidden = html`<input type="hidden" name="xsrf" value="${view.xsrf}">
<input type="hidden" name="user_code" value="${view.userCode}">`;
  const body = html`
${identity}
<p>Check that your device shows this code:</p>
<p class="user-code">${view.userCode}</p>
<p class="warning" role="note">Continue only if you started this yourself, on a device you are using now, and the codes match. Someone who sent you this code could otherwise get into your account.</p>
<h2>Details</h2>
<dl>
<dt>Application ID</dt><dd><span class="mono">${view.clientId}</span></dd>
${view.deviceAddress === undefined ? '' : html`<dt>Requested from address</dt><dd><span class="mono">${view.deviceAddress}</span></dd>`}
${view.deviceUserAgent === undefined ? '' : html`<dt>Device software</dt><dd><span class="mono">${view.deviceUserAgent}</span></dd>`}
</dl>
<div class="actions">
<form method="post" action="${view.action}">${hidden}<input type="hidden" name="confirm" value="yes"><button type="submit">Continue</button></form>
<form method="post" action="${view.action}">${hidden}<input type="hidden" name="abort" value="yes"><button type="submit" class="secondary">Cancel</button></form>
</div>`;
  return renderPage({ title: 'Connect this device?', body });
}

/** Renders the page shown once the device has been given access. */
export function renderDeviceSuccess(view: DeviceSuccessView): string {
  const body = html`
<p role="status">${view.clientName === undefined ? 'The application' : html`<strong>${view.clientName}</strong>`} on your device now has access. Go back to your device: it continues by itself.</p>
<p class="muted">You can close this window.</p>`;
  return renderPage({ title: 'Device connected', body });
}

/** Renders the page shown when the user cancelled on the confirmation page or denied consent. */
export function renderDeviceDenied(): string {
  const body = html`
<p role="status">You did not allow access. The device gets nothing and is told the request was denied.</p>
<p class="muted">You can close this window.</p>`;
  return renderPage({ title: 'Device not connected', body });
}

/** Renders the page refusing one more code from a network that tried too many (RFC 8628 §5.1). */
export function renderDeviceTooManyAttempts(): string {
  const body = html`
<p class="alert" role="alert">Too many codes were tried from your network.</p>
<p>Wait a minute, then go back and enter the code again.</p>`;
  return renderPage({ title: 'Too many attempts', body });
}
