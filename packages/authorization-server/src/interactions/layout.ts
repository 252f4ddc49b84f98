/**
 * The page shell shared by the sign-in, consent, setup and error pages: a complete HTML document
 * with one inline style sheet, no script and no external asset. The style sheet is a constant, so
 * the Content-Security-Policy allows it by hash ({@link STYLE_HASH}) rather than by nonce.
 *
 * Accessibility (WCAG 2.2 AA): `lang`, one `<h1>` per page, `<main>` landmark, visible focus rings,
 * text contrast of at least 4.5:1 in both colour schemes, no layout below 320 px wide.
 */
import { createHash } from 'node:crypto';
import { html, type SafeHtml, trustedConstant } from './html.js';

const STYLE = `
:root{color-scheme:light dark;--bg:#f4f5f7;--card:#ffffff;--text:#1b1f24;--muted:#4b5563;--border:#d0d5dd;
--accent:#1d4ed8;--accent-text:#ffffff;--danger-bg:#fdecec;--danger-text:#8a1c1c;--code-bg:#eef1f5;--focus:#b45309}
@media (prefers-color-scheme:dark){:root{--bg:#0f1115;--card:#181b21;--text:#e8eaed;--muted:#b4bac4;
--border:#353a44;--accent:#8ab4ff;--accent-text:#0b1220;--danger-bg:#3a1618;--danger-text:#ffc9c9;
--code-bg:#232831;--focus:#fbbf24}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif}
main{max-width:30rem;margin:0 auto;padding:2rem 1rem}
.card{background:var(--card);border:1px solid var(--border);border-radius:12px;padding:1.5rem}
.brand{font-size:.875rem;color:var(--muted);margin:0 0 1rem;letter-spacing:.02em}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem}
h2{font-size:1rem;margin:1.25rem 0 .5rem}
p{margin:0 0 1rem}
.muted{color:var(--muted);font-size:.9375rem}
.host{font-size:1.25rem;font-weight:700;word-break:break-all}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.875rem;
background:var(--code-bg);border-radius:4px;padding:.1rem .3rem;word-break:break-all}
dl{margin:0 0 1rem}dt{font-weight:600;margin-top:.5rem}dd{margin:0}
ul.scopes{list-style:none;padding:0;margin:0 0 1rem}
ul.scopes li{border-top:1px solid var(--border);padding:.6rem 0}
ul.scopes li:first-child{border-top:0}
label{display:block;font-weight:600;margin:0 0 .25rem}
input[type=text],input[type=password]{display:block;width:100%;font:inherit;color:var(--text);
background:var(--card);border:1px solid var(--muted);border-radius:8px;padding:.6rem .75rem;margin:0 0 1rem}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1.25rem}
.actions form{margin:0;flex:1 1 8rem;display:flex}
button{flex:1 1 8rem;font:inherit;font-weight:600;border-radius:8px;padding:.65rem 1rem;cursor:pointer;
border:1px solid var(--accent);background:var(--accent);color:var(--accent-text);min-height:44px}
button.secondary{background:transparent;color:var(--text);border-color:var(--muted)}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.alert{background:var(--danger-bg);color:var(--danger-text);border-radius:8px;padding:.75rem 1rem;margin:0 0 1rem}
.warning{border-left:4px solid var(--focus);padding-left:.75rem}
.user-code,input[type=text].user-code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
font-size:1.5rem;font-weight:700;letter-spacing:.12em;text-transform:uppercase;text-align:center}
`.trim();

/** The CSP source for the page style sheet: `'sha256-…'` (CSP Level 3 §2.3.1 hash-source). */
export const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

/** What {@link renderPage} needs. */
export interface PageOptions {
  /** The document title and the page's `<h1>`. */
  readonly title: string;
  /** The page content under the heading. */
  readonly body: SafeHtml;
  /** BCP 47 language tag of the content; default `en`. */
  readonly lang?: string;
}

/** Renders a full HTML document (HTML Living Standard) around `body`. */
export function renderPage(options: PageOptions): string {
  const document = html`<!doctype html>
<html lang="${options.lang ?? 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title} · Gatehouse</title>
<style>${trustedConstant(STYLE)}</style>
</head>
<body>
<main>
<div class="card">
<p class="brand">Gatehouse</p>
<h1>${options.title}</h1>
${options.body}
</div>
</main>
</body>
</html>
`;
  return document.toString();
}
