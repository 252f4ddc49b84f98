import type { KoaContextWithOIDC } from 'oidc-provider';
import { describe, expect, it } from 'vitest';
import { escapeHtml, renderError } from './render-error.js';

function fakeContext() {
  const headers: Record<string, string> = {};
  const ctx = {
    type: '',
    body: '',
    set(name: string, value: string) {
      headers[name.toLowerCase()] = value;
    },
  };
  return { ctx, headers };
}

describe('renderError', () => {
  it('renders error and description HTML-escaped, with no script, no stack and anti-framing headers', async () => {
    const { ctx, headers } = fakeContext();
    await renderError(
      ctx as unknown as KoaContextWithOIDC,
      { error: 'invalid_request', error_description: '<script>alert("x")</script> & more' },
      new Error('internal detail\n    at secret.js:1:1'),
    );
    expect(ctx.type).toBe('html');
    expect(ctx.body).toContain('invalid_request');
    expect(ctx.body).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more');
    expect(ctx.body).not.toContain('<script>');
    expect(ctx.body).not.toContain('secret.js');
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['x-frame-options']).toBe('DENY');
  });

  it('bounds a long description', async () => {
    const { ctx } = fakeContext();
    await renderError(
      ctx as unknown as KoaContextWithOIDC,
      { error: 'x', error_description: 'y'.repeat(5000) },
      new Error(),
    );
    expect(ctx.body.length).toBeLessThan(2000);
  });

  it('escapeHtml escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<>&"'`)).toBe('&lt;&gt;&amp;&quot;&#39;');
  });
});
