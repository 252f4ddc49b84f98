import { describe, expect, it } from 'vitest';
import { redactUrls } from './redact-urls.js';

describe('redactUrls', () => {
  it('replaces the password of every URL in a text, and leaves the rest as it was', () => {
    expect(
      redactUrls('unexpected argument "postgres://app:s3cret@db:5432/gh" and https://u:p@h.example/x here'),
    ).toBe('unexpected argument "postgres://app:***@db:5432/gh" and https://u:***@h.example/x here');
    expect(redactUrls('no URL in this message')).toBe('no URL in this message');
    expect(redactUrls('see https://mcp.example.com/mcp')).toBe('see https://mcp.example.com/mcp');
  });

  it('hides password query parameters too', () => {
    expect(redactUrls('postgres://db/gh?sslpassword=k3y')).not.toContain('k3y');
  });
});
