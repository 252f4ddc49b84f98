/**
 * The error page: a problem in plain words, with no detail that came from the request. Every value
 * is escaped by the `html` template; callers pass fixed sentences, never request input.
 */
import { html } from '../html.js';
import { renderPage } from '../layout.js';

/** What the error page shows. */
export interface ErrorView {
  /** Short heading, e.g. "This sign-in link has expired". */
  readonly title: string;
  /** One or two sentences saying what happened and what to do. */
  readonly message: string;
}

/** Renders the error page. */
export function renderErrorPage(view: ErrorView): string {
  return renderPage({
    title: view.title,
    body: html`<p>${view.message}</p>
<p class="muted">You can close this window.</p>`,
  });
}

/** The fixed messages the interaction routes use. */
export const errorMessages = {
  sessionNotFound: {
    title: 'This sign-in has expired',
    message:
      'The sign-in request was not found. It may have expired or already been used. Go back to your application and start again.',
  },
  csrf: {
    title: 'This form has expired',
    message: 'The form could not be verified. Go back to your application and start the sign-in again.',
  },
  notFound: { title: 'Page not found', message: 'There is nothing at this address.' },
  methodNotAllowed: { title: 'Not allowed', message: 'This page cannot be used that way.' },
  tooLarge: { title: 'Form too large', message: 'The form sent was too large.' },
  badForm: { title: 'Form not understood', message: 'The form sent could not be read.' },
  wrongStep: {
    title: 'This step is not available',
    message:
      'This page does not match the current step of the sign-in. Go back to your application and start again.',
  },
  unavailable: {
    title: 'Temporarily unavailable',
    message:
      'The sign-in service cannot reach its database right now. Wait a moment, then reload this page to try again.',
  },
  internal: {
    title: 'Something went wrong',
    message:
      'The server could not complete the request. Try again, or go back to your application and start again.',
  },
  setupLoopbackOnly: {
    title: 'Setup is only available locally',
    message: 'Open the setup link in a browser on the machine that runs the server.',
  },
  setupDone: {
    title: 'Setup is already complete',
    message: 'An account already exists. Sign in from your application instead.',
  },
  setupTokenInvalid: {
    title: 'This setup link is not valid',
    message: 'The setup link has expired or was already used. Restart the server to print a new one.',
  },
} as const satisfies Record<string, ErrorView>;
