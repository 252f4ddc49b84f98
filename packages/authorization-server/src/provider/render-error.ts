/**
 * The HTML error page oidc-provider shows when it cannot redirect an error back to the client
 * (unknown client, unregistered redirect URI, …; RFC 6749 §4.1.2.1 forbids redirecting then).
 */
import type { ErrorOut, KoaContextWithOIDC } from 'oidc-provider';

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** Bounds and escapes one value of the error (descriptions may quote request input). */
function describe(value: unknown): string {
  const text = typeof value === 'string' ? value : '';
  return escapeHtml(text.length > 300 ? `${text.slice(0, 300)}…` : text);
}

/**
 * oidc-provider's `renderError` hook: a small self-contained page (no external assets, no script)
 * with the OAuth `error` and `error_description`, every character HTML-escaped. It never shows a
 * stack trace or the request's parameters. It does NOT log.
 */
export async function renderError(ctx: KoaContextWithOIDC, out: ErrorOut, _error: Error): Promise<void> {
  ctx.type = 'html';
  ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
  ctx.set('X-Frame-Options', 'DENY');
  ctx.body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in error</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5}code{background:#f3f3f3;padding:0 .25rem}</style>
</head><body><main>
<h1>Something went wrong</h1>
<p>The application that sent you here made a request that cannot be completed. Go back to it and try again.</p>
<p>Error: <code>${describe(out.error)}</code></p>
${out.error_description ? `<p>${describe(out.error_description)}</p>` : ''}
</main></body></html>`;
}
