/**
 * Helpers of the device flow e2e tests: an authorization server on 127.0.0.1 whose pages are the
 * real ones (no programmatic interaction driver), and a small "browser" over fetch that keeps
 * cookies, follows same-origin redirects and submits the pages' forms.
 *
 * Test code only: the HTML is read with regular expressions that fit these pages, not HTML in general.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AuthorizationServer,
  type AuthorizationServerOptions,
  createAuthorizationServer,
} from '@gatehouse/authorization-server';
import { CookieJar } from './authorization-server-helpers.js';

/** A running server under test. */
export interface DeviceTestServer {
  readonly origin: string;
  readonly issuer: string;
  readonly server: AuthorizationServer;
  close(): Promise<void>;
}

/** Starts the authorization server on 127.0.0.1, port 0, issuer `<origin>/oauth`. */
export async function startDeviceTestServer(
  options: Omit<AuthorizationServerOptions, 'issuer'>,
): Promise<DeviceTestServer> {
  let as: AuthorizationServer | undefined;
  const http: Server = createServer((req, res) => {
    if (as === undefined) res.writeHead(503).end();
    else as.listener(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', resolve);
  });
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const server = await createAuthorizationServer({ ...options, issuer: `${origin}/oauth` });
  as = server;
  return {
    origin,
    issuer: server.issuer,
    server,
    async close() {
      await server.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** A page as the helper browser sees it. */
export interface Page {
  readonly url: string;
  readonly status: number;
  readonly headers: Headers;
  readonly html: string;
}

/** A form of a page: where it posts and its hidden fields. */
export interface Form {
  readonly action: string;
  readonly fields: Record<string, string>;
  readonly button: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#96': '`' };

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|#96);/g, (_m, name: string) => ENTITIES[name] ?? '');
}

/** The page's `<h1>` text. */
export function heading(page: Page): string | undefined {
  const match = /<h1>([^<]*)<\/h1>/.exec(page.html);
  return match?.[1] === undefined ? undefined : decodeEntities(match[1]);
}

/** The text of the page's alert, if any. */
export function alertText(page: Page): string | undefined {
  const match = /<p class="alert" role="alert"[^>]*>([^<]*)<\/p>/.exec(page.html);
  return match?.[1] === undefined ? undefined : decodeEntities(match[1]);
}

/** Every POST form of the page, with its hidden fields and its submit button's label. */
export function formsOf(page: Page): Form[] {
  const forms: Form[] = [];
  for (const match of page.html.matchAll(/<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/g)) {
    const [, action = '', inner = ''] = match;
    const fields: Record<string, string> = {};
    for (const input of inner.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
      fields[decodeEntities(input[1] ?? '')] = decodeEntities(input[2] ?? '');
    }
    const button = /<button type="submit"[^>]*>([^<]*)<\/button>/.exec(inner)?.[1] ?? '';
    forms.push({ action: new URL(decodeEntities(action), page.url).href, fields, button });
  }
  return forms;
}

/** The form whose submit button reads `label`. */
export function formWithButton(page: Page, label: string): Form {
  const form = formsOf(page).find((candidate) => candidate.button === label);
  if (form === undefined) throw new Error(`test: no form with a "${label}" button on "${heading(page)}"`);
  return form;
}

/** A cookie-keeping client that follows redirects on one origin, like a browser without script. */
export class FormBrowser {
  readonly #jar = new CookieJar();
  readonly #origin: string;

  constructor(origin: string) {
    this.#origin = origin;
  }

  /** GETs a URL and follows same-origin redirects. */
  get(url: string): Promise<Page> {
    return this.#request(url, { method: 'GET' });
  }

  /** Submits a form (its hidden fields plus `extra`) and follows same-origin redirects. */
  submit(form: Form, extra: Record<string, string> = {}): Promise<Page> {
    const body = new URLSearchParams({ ...form.fields, ...extra });
    return this.#request(form.action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
  }

  async #request(start: string, init: RequestInit): Promise<Page> {
    let url = start;
    let request = init;
    for (let hop = 0; hop < 12; hop += 1) {
      const cookie = this.#jar.header(url);
      const headers = new Headers(request.headers);
      if (cookie) headers.set('cookie', cookie);
      const response = await fetch(url, { ...request, headers, redirect: 'manual' });
      this.#jar.store(response);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location !== null) {
        await response.arrayBuffer();
        const next = new URL(location, url);
        if (next.origin !== this.#origin) throw new Error(`test: redirect off the server to ${next.origin}`);
        url = next.href;
        request = { method: 'GET' };
        continue;
      }
      return { url, status: response.status, headers: response.headers, html: await response.text() };
    }
    throw new Error('test: too many redirects');
  }
}
