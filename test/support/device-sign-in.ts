/**
 * Test support: the user of a device authorization (RFC 8628) against the embedded authorization
 * server's real pages. Given the verification URL and user code a client printed, it opens the URL
 * "on another device" (a cookie-keeping form client), types the code, signs in and approves.
 */
import { FormBrowser, formWithButton, heading } from '../e2e/device-flow-helpers.ts';

/** What a client shows for a device authorization. */
export interface ShownDeviceCode {
  readonly verificationUri: string;
  readonly userCode: string;
}

/** A user approving device authorizations at one authorization server. */
export interface DeviceUser {
  /** Plays the user for one code; resolves once the device was given access. */
  approve(shown: ShownDeviceCode): Promise<void>;
  /** Every code approved (or being approved), in order. */
  readonly approvals: readonly ShownDeviceCode[];
}

/** A user with the given credentials at the authorization server `issuer`. */
export function createDeviceUser(account: {
  issuer: string;
  username: string;
  password: string;
}): DeviceUser {
  const approvals: ShownDeviceCode[] = [];
  async function approve(shown: ShownDeviceCode): Promise<void> {
    approvals.push(shown);
    const browser = new FormBrowser(new URL(account.issuer).origin);
    const entry = await browser.get(shown.verificationUri);
    const confirm = await browser.submit(formWithButton(entry, 'Continue'), { user_code: shown.userCode });
    if (heading(confirm) !== 'Connect this device?')
      throw new Error(`test: unexpected "${heading(confirm)}"`);
    const signIn = await browser.submit(formWithButton(confirm, 'Continue'));
    const consent = await browser.submit(formWithButton(signIn, 'Sign in'), {
      username: account.username,
      password: account.password,
    });
    if (heading(consent) !== 'Allow access?') throw new Error(`test: unexpected "${heading(consent)}"`);
    const done = await browser.submit(formWithButton(consent, 'Approve'));
    if (done.status !== 200) throw new Error(`test: approving answered HTTP ${done.status}`);
  }
  return { approve, approvals };
}

/**
 * The verification URL and user code in `text` as `authorizeWithDevice` prints them on stderr, or
 * `undefined` when `text` holds no complete instructions.
 */
export function printedDeviceCode(text: string): ShownDeviceCode | undefined {
  const found =
    /open this URL on any device:\s+(https?:\/\/\S+)\s+and enter the code\s+([A-Z]{4}-[A-Z]{4})\b/.exec(text);
  if (found?.[1] === undefined || found[2] === undefined) return undefined;
  return { verificationUri: found[1], userCode: found[2] };
}
