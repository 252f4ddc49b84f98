/**
 * The first-account setup page (issue #3 "first start with no users"): GET shows the form, POST
 * creates the account. It answers only while no account exists and only to a loopback peer; the
 * one-time setup token (accounts/setup-token.ts) is carried in the form and consumed on success.
 * The token is a 256-bit secret, so it also serves as the form's CSRF token.
 *
 * Behind a reverse proxy on the same machine every peer looks local: unless the server trusts the
 * proxy (`trustProxy`, then the address it forwards must be loopback too), use the setup URL
 * before the server is exposed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccountService } from '../accounts/accounts.js';
import { consumeSetupToken, issueSetupToken } from '../accounts/setup-token.js';
import { clientAddressOf } from '../provider/client-address.js';
import type { Storage } from '../storage/contract.js';
import { FormBodyError, readFormBody, singleField } from './form-body.js';
import { sendHtml } from './headers.js';
import { errorMessages, renderErrorPage } from './views/error.js';
import { MIN_PASSWORD_LENGTH, renderSetup, renderSetupDone } from './views/setup.js';

/** What {@link handleSetup} needs. */
export interface SetupContext {
  readonly accounts: AccountService;
  readonly storage: Storage;
  /** The setup path (the form's action). */
  readonly action: string;
  /** Also require the address a trusted proxy forwarded (`X-Forwarded-For`) to be loopback. Default false. */
  readonly trustProxy?: boolean;
}

/** True for a loopback peer address: 127.0.0.0/8, ::1, or IPv4-mapped 127.0.0.0/8. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

const TOKEN = /^[A-Za-z0-9_-]{16,128}$/;

/** Checks the username and password against the account rules; returns a plain-words problem or undefined. */
function problemWith(username: string, password: string, confirm: string): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (username.length < 1 || username.length > 64 || /[\u0000-\u001f\u007f\s]/.test(username)) {
    return 'Choose a username of 1 to 64 characters, without spaces.';
  }
  if (password.length < MIN_PASSWORD_LENGTH)
    return `Choose a password of at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (password !== confirm) return 'The two passwords are different.';
  return undefined;
}

function error(res: ServerResponse, status: number, key: keyof typeof errorMessages): void {
  sendHtml(res, status, renderErrorPage(errorMessages[key]));
}

/** Handles GET and POST of the setup path. */
export async function handleSetup(
  req: IncomingMessage,
  res: ServerResponse,
  context: SetupContext,
): Promise<void> {
  const { accounts, storage, action } = context;
  if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'POST') {
    return sendHtml(res, 405, renderErrorPage(errorMessages.methodNotAllowed), {
      headers: { Allow: 'GET, HEAD, POST' },
    });
  }
  const local =
    isLoopbackAddress(req.socket.remoteAddress) &&
    (context.trustProxy !== true || isLoopbackAddress(clientAddressOf(req, true)));
  if (!local) return error(res, 403, 'setupLoopbackOnly');
  if ((await accounts.count()) > 0) {
    req.resume();
    return error(res, 410, 'setupDone');
  }

  if (req.method !== 'POST') {
    const token = new URLSearchParams((req.url ?? '').split('?')[1] ?? '').get('token') ?? '';
    if (!TOKEN.test(token)) return error(res, 400, 'setupTokenInvalid');
    return sendHtml(res, 200, renderSetup({ action, token }));
  }

  let form: URLSearchParams;
  try {
    form = await readFormBody(req);
  } catch (cause) {
    if (!(cause instanceof FormBodyError)) throw cause;
    return error(res, cause.status, cause.status === 413 ? 'tooLarge' : 'badForm');
  }
  const token = singleField(form, 'token') ?? '';
  const username = (singleField(form, 'username') ?? '').trim();
  const password = singleField(form, 'password') ?? '';
  if (!TOKEN.test(token)) return error(res, 400, 'setupTokenInvalid');
  const problem = problemWith(username, password, singleField(form, 'confirm') ?? '');
  if (problem !== undefined)
    return sendHtml(res, 400, renderSetup({ action, token, username, error: problem }));

  if (!(await consumeSetupToken(storage.settings, token))) return error(res, 400, 'setupTokenInvalid');
  try {
    const account = await accounts.create(username, password);
    return sendHtml(res, 201, renderSetupDone(account.username));
  } catch {
    // The token is spent but no account exists: hand out a fresh one so that the person at the
    // keyboard (who proved they held the last one) can correct the form.
    const fresh = await issueSetupToken(storage.settings);
    const message = 'The account could not be created with that username and password. Choose others.';
    return sendHtml(res, 400, renderSetup({ action, token: fresh, username, error: message }));
  }
}
