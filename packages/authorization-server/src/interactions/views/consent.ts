/**
 * The consent page (RFC 6749 §4.1.1 "obtain an authorization decision"; MCP authorization
 * "Client ID Metadata Documents": show the document's host; RFC 8707: show the resource).
 * Every value is escaped by the `html` template. It does NOT record the decision: routes.ts does.
 */
import { html } from '../html.js';
import { renderPage } from '../layout.js';

/** One permission asked for. */
export interface ConsentScope {
  readonly scope: string;
  /** Human description; undefined when none is configured. */
  readonly description: string | undefined;
}

/** One resource (MCP server) the client asks access to. */
export interface ConsentResource {
  readonly url: string;
  readonly name: string | undefined;
  readonly scopes: readonly ConsentScope[];
}

/** What the consent page shows. */
export interface ConsentView {
  readonly approveAction: string;
  readonly denyAction: string;
  readonly csrf: string;
  readonly clientId: string;
  readonly clientName: string | undefined;
  /** The host of an https `client_id` (a Client ID Metadata Document), else undefined. */
  readonly clientIdHost: string | undefined;
  /** Show the warning that a program on this computer will receive the authorization (CIMD + loopback redirect). */
  readonly localRedirectWarning?: boolean;
  /** Where the user will be sent back: the redirect URI's host (or scheme for an app scheme). */
  readonly redirectHost: string | undefined;
  /** The signed-in user's name. */
  readonly username: string | undefined;
  /** Scopes not tied to a resource (`openid`, `offline_access`). */
  readonly scopes: readonly ConsentScope[];
  readonly resources: readonly ConsentResource[];
}

function scopeList(scopes: readonly ConsentScope[]) {
  return html`<ul class="scopes">${scopes.map(
    (s) =>
      html`<li><code>${s.scope}</code><br>${s.description ?? 'No description was given for this permission.'}</li>`,
  )}</ul>`;
}

/** Renders the consent page. */
export function renderConsent(view: ConsentView): string {
  const name = view.clientName ?? 'Unnamed application';
  const identity =
    view.clientIdHost === undefined
      ? html`<p><strong>${name}</strong> wants to access your account.</p>`
      : html`<p>An application from</p>
<p class="host">${view.clientIdHost}</p>
<p>calling itself <strong>${name}</strong> wants to access your account. Continue only if you trust this site.</p>
${
  view.localRedirectWarning
    ? html`<p class="warning" role="note">It will send you back to a program on this computer, not to that site. Any program on this computer can claim to be this application: approve only if you just started it yourself.</p>`
    : ''
}`;
  const body = html`
${identity}
${view.username === undefined ? '' : html`<p class="muted">Signed in as <strong>${view.username}</strong>.</p>`}
${view.resources.map(
  (r) => html`<h2>${r.name ?? 'Resource'}</h2>
<p class="muted"><span class="mono">${r.url}</span></p>
${r.scopes.length === 0 ? html`<p>Access with no specific permissions.</p>` : scopeList(r.scopes)}`,
)}
${view.scopes.length === 0 ? '' : html`<h2>Account</h2>${scopeList(view.scopes)}`}
<h2>Details</h2>
<dl>
<dt>Application ID</dt><dd><span class="mono">${view.clientId}</span></dd>
${view.redirectHost === undefined ? '' : html`<dt>You will be sent back to</dt><dd><span class="mono">${view.redirectHost}</span></dd>`}
</dl>
<div class="actions">
<form method="post" action="${view.approveAction}"><input type="hidden" name="csrf" value="${view.csrf}"><button type="submit">Approve</button></form>
<form method="post" action="${view.denyAction}"><input type="hidden" name="csrf" value="${view.csrf}"><button type="submit" class="secondary">Deny</button></form>
</div>`;
  return renderPage({ title: 'Allow access?', body });
}
