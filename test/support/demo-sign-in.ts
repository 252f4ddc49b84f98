/**
 * Test support: a user played over HTTP against the embedded authorization server's real pages.
 * Given an authorization URL, it follows redirects with cookies, fills the sign-in form, approves
 * the consent page (CSRF fields read from the HTML) and finally requests the client's loopback
 * redirect URI, as a browser would.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CookieJar } from './cookie-jar.ts';

/** A signed-in-on-demand user of the demo gateway. */
export interface DemoUser {
  /** Plays the user for one authorization URL; resolves once the loopback redirect was delivered. */
  authorize(authorizationUrl: URL): Promise<void>;
  /** Every authorization URL played, in order. */
  readonly authorizations: readonly URL[];
}

function formFields(html: string, marker: string): { action: string; csrf: string } | undefined {
  for (const match of html.matchAll(/<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/g)) {
    if (!match[2]?.includes(marker)) continue;
    const csrf = /name="csrf" value="([^"]*)"/.exec(match[2])?.[1] ?? '';
    return { action: (match[1] ?? '').replaceAll('&amp;', '&'), csrf };
  }
  return undefined;
}

/** A user with the given credentials at the authorization server `issuer`; cookies kept across calls. */
export function createDemoUser(account: { issuer: string; username: string; password: string }): DemoUser {
  const jar = new CookieJar();
  const asOrigin = new URL(account.issuer).origin;
  const authorizations: URL[] = [];

  async function authorize(authorizationUrl: URL): Promise<void> {
    authorizations.push(authorizationUrl);
    let url = authorizationUrl.href;
    let init: RequestInit = {};
    for (let hop = 0; hop < 20; hop += 1) {
      const cookie = jar.header(url);
      const headers = new Headers(init.headers);
      if (cookie) headers.set('cookie', cookie);
      const response = await fetch(url, { ...init, headers, redirect: 'manual' });
      jar.store(response);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location !== null) {
        await response.arrayBuffer();
        const next = new URL(location, url);
        if (next.origin !== asOrigin) {
          const page = await fetch(next);
          await page.arrayBuffer();
          return;
        }
        url = next.href;
        init = {};
        continue;
      }
      const html = await response.text();
      const signIn = formFields(html, 'name="password"');
      const approve = formFields(html, '>Approve<');
      const form = signIn ?? approve;
      if (form === undefined) throw new Error(`test: unexpected page (HTTP ${response.status})`);
      const body = new URLSearchParams({ csrf: form.csrf });
      if (signIn !== undefined) {
        body.set('username', account.username);
        body.set('password', account.password);
      }
      url = new URL(form.action, url).href;
      init = {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: asOrigin },
        body,
      };
    }
    throw new Error('test: too many steps');
  }

  return { authorize, authorizations };
}

/** The authorization URL in `text` as the client prints it on stderr, or `undefined`. */
export function printedAuthorizationUrl(text: string): URL | undefined {
  const found = /open this URL in your browser:\s+(https?:\/\/\S+)/.exec(text);
  return found?.[1] === undefined ? undefined : new URL(found[1]);
}

/**
 * The account id (the `sub` of its tokens) of `username` in a demo gateway's data directory, read
 * from its SQLite database (read-only), to check that a tool saw the user who signed in.
 */
export function accountIdOf(dataDir: string, username: string): string | undefined {
  const db = new Database(join(dataDir, 'gatehouse.db'), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT id FROM accounts WHERE username = ?').get(username) as
      | { id: string }
      | undefined;
    return row?.id;
  } finally {
    db.close();
  }
}
