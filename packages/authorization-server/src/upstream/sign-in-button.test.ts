import { describe, expect, it } from 'vitest';
import { renderSignIn } from '../interactions/views/sign-in.js';
import { sendUpstreamError, upstreamErrorText } from './error-page.js';

const view = {
  action: '/oauth/interaction/u/login',
  abortAction: '/oauth/interaction/u/abort',
  csrf: 'tok',
  clientName: 'App',
};

describe('the sign-in page with upstream sign-in', () => {
  it('shows the upstream button (a CSRF-protected POST form) above the password form', () => {
    const page = renderSignIn({
      ...view,
      upstream: { action: '/oauth/interaction/u/upstream', name: 'Acme <SSO>' },
    });
    expect(page).toContain('Sign in with Acme &lt;SSO&gt;');
    expect(page).toMatch(
      /<form method="post" action="\/oauth\/interaction\/u\/upstream">\s*<input type="hidden" name="csrf" value="tok">/,
    );
    expect(page).toContain('name="password"');
    expect(page.indexOf('/upstream"')).toBeLessThan(page.indexOf('/login"'));
  });

  it('shows only the button when local passwords are off, and only the password form without upstream', () => {
    const only = renderSignIn({
      ...view,
      upstream: { action: '/x/upstream', name: 'Acme' },
      localPassword: false,
    });
    expect(only).not.toContain('name="password"');
    expect(only).toContain('Sign in with Acme');
    const local = renderSignIn(view);
    expect(local).toContain('name="password"');
    expect(local).not.toContain('Sign in with');
  });
});

describe('the upstream error page', () => {
  it('has a plain-words text for every reason, naming the upstream', () => {
    for (const reason of [
      'state_mismatch',
      'denied',
      'upstream_error',
      'unreachable',
      'invalid_response',
    ] as const) {
      const { title, message } = upstreamErrorText(reason, 'Acme');
      expect(`${title} ${message}`).toContain('Acme');
    }
  });

  it('escapes the name and links back to the sign-in page when known', () => {
    let status = 0;
    let body = '';
    const headers: Record<string, string> = {};
    const res = {
      set statusCode(value: number) {
        status = value;
      },
      setHeader(name: string, value: string) {
        headers[name.toLowerCase()] = value;
      },
      end(chunk: Buffer) {
        body = chunk.toString('utf8');
      },
    };
    sendUpstreamError(res as never, 'denied', '<b>Acme</b>', '/oauth/interaction/abc');
    expect(status).toBe(403);
    expect(body).toContain('&lt;b&gt;Acme&lt;/b&gt;');
    expect(body).toContain('<a href="/oauth/interaction/abc">Back to sign-in</a>');
    expect(headers['x-frame-options']).toBe('DENY');
  });
});
