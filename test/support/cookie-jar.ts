/**
 * Test and bench support: a cookie jar for following an authorization server's pages over HTTP
 * with `fetch`. No imports, so benchmarks (Node type stripping, built packages) can use it too.
 */

/** A cookie jar honouring `Path` (enough for the provider's cookies on one host). */
export class CookieJar {
  readonly #cookies = new Map<string, { value: string; path: string }>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      let path = '/';
      let expired = false;
      for (const attribute of attributes) {
        const [key = '', val = ''] = attribute.split('=');
        if (key.trim().toLowerCase() === 'path') path = val.trim();
        if (key.trim().toLowerCase() === 'expires' && Date.parse(val) < Date.now()) expired = true;
        if (key.trim().toLowerCase() === 'max-age' && Number(val) <= 0) expired = true;
      }
      const key = `${name};${path}`;
      if (expired || value === '') this.#cookies.delete(key);
      else this.#cookies.set(key, { value, path });
    }
  }

  header(url: string): string {
    const { pathname } = new URL(url);
    return (
      [...this.#cookies.entries()]
        .filter(
          ([, c]) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`),
        )
        // RFC 6265 §5.4: longer paths first, as browsers send them (servers read the first match).
        .sort(([, a], [, b]) => b.path.length - a.path.length)
        .map(([key, c]) => `${key.slice(0, key.indexOf(';'))}=${c.value}`)
        .join('; ')
    );
  }
}
