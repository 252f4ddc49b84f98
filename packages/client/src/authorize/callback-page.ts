/**
 * The small page the loopback listener answers the browser with once the authorization response
 * arrived: self-contained (no script, image, font or stylesheet from anywhere), every text escaped,
 * served with headers that keep it from leaking the callback URL (`Referrer-Policy: no-referrer`)
 * or being cached.
 */

/** Escapes the five HTML special characters (text and attribute contexts). */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** The response headers of the page: HTML, no caching, no referrer, nothing loaded from anywhere. */
export const CALLBACK_PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  connection: 'close',
});

/**
 * The HTML of the success page (`ok: true`) or the failure page, with `detail` (escaped) under the
 * headline. Never put a code, token or state in `detail`.
 */
export function renderCallbackPage(ok: boolean, detail: string): string {
  const title = ok ? 'Signed in' : 'Sign-in failed';
  const lead = ok
    ? 'The application has received the authorization. You can close this window.'
    : 'The application could not complete the authorization. You can close this window and try again.';
  const colour = ok ? '#1a7f37' : '#b42318';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:#f6f8fa;color:#1f2328}
main{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:2rem 2.5rem;max-width:32rem}
h1{margin:0 0 .75rem;font-size:1.4rem;color:${colour}}
p{margin:.5rem 0;line-height:1.5}
</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(lead)}</p>
${detail === '' ? '' : `<p>${escapeHtml(detail)}</p>\n`}</main>
</body>
</html>
`;
}
