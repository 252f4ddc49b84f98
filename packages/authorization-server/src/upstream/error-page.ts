/**
 * The page shown when an upstream sign-in fails: the problem in plain words, naming the upstream by
 * its configured name (never by anything the upstream or the request sent), with a link back to the
 * sign-in page when the interaction is known. Every value is escaped by the `html` template.
 */
import type { ServerResponse } from 'node:http';
import { sendHtml } from '../interactions/headers.js';
import { html } from '../interactions/html.js';
import { renderPage } from '../interactions/layout.js';
import type { UpstreamFailure } from './errors.js';

const STATUS: Record<UpstreamFailure, number> = {
  state_mismatch: 400,
  denied: 403,
  upstream_error: 502,
  unreachable: 502,
  invalid_response: 502,
};

/** The title and message of each failure; `name` is the configured upstream name. */
export function upstreamErrorText(reason: UpstreamFailure, name: string): { title: string; message: string } {
  switch (reason) {
    case 'state_mismatch':
      return {
        title: 'This sign-in could not be verified',
        message: `The answer from ${name} does not belong to a sign-in started here, or it was already used or has expired. Go back to your application and start again.`,
      };
    case 'denied':
      return {
        title: `Sign-in with ${name} was not completed`,
        message: `${name} did not let you sign in: the request was cancelled or refused there.`,
      };
    case 'upstream_error':
      return {
        title: `${name} could not sign you in`,
        message: `${name} answered with an error. Try again later, or sign in another way.`,
      };
    case 'unreachable':
      return {
        title: `${name} could not be reached`,
        message: `This server could not contact ${name}. Try again in a moment.`,
      };
    case 'invalid_response':
      return {
        title: `The answer from ${name} was not accepted`,
        message: `The sign-in answer from ${name} did not pass this server's security checks, so it was not used.`,
      };
  }
}

/**
 * Writes the failure page with the interaction pages' security headers. `retryUrl` (a path on this
 * server, the interaction's sign-in page) adds a "Back to sign-in" link.
 */
export function sendUpstreamError(
  res: ServerResponse,
  reason: UpstreamFailure,
  name: string,
  retryUrl?: string,
): void {
  const { title, message } = upstreamErrorText(reason, name);
  const body = html`<p>${message}</p>
${retryUrl === undefined ? html`<p class="muted">You can close this window.</p>` : html`<p><a href="${retryUrl}">Back to sign-in</a></p>`}`;
  sendHtml(res, STATUS[reason], renderPage({ title, body }));
}
