import { describe, expect, it } from 'vitest';
import { checkRedirectUri, checkRedirectUris } from './redirect-uri-policy.js';

describe('checkRedirectUri (OAuth 2.1 §2.3.1, RFC 8252 §7.3/§8.4, RFC 9700 §4.1)', () => {
  it.each([
    'http://127.0.0.1:8765/callback',
    'http://[::1]:1/cb',
    'http://localhost:3000/cb',
    'https://app.example.com/cb',
    'https://app.example.com/cb?tenant=1',
    'com.example.app:/oauth2redirect',
  ])('accepts %s', (uri) => {
    expect(checkRedirectUri(uri)).toBeUndefined();
  });

  it.each([
    ['http://localhost:1@evil.example/cb', /userinfo/],
    ['http://user@127.0.0.1/cb', /userinfo/],
    ['https://user:pw@app.example.com/cb', /userinfo/],
    ['http://127.0.0.1/cb#x', /fragment/],
    ['http://127.0.0.1/cb#', /fragment/],
    ['javascript:alert(1)', /javascript/],
    ['JavaScript:alert(1)', /javascript/],
    ['data:text/html,x', /data/],
    ['http://evil.example/cb', /loopback/],
    ['http://127.0.0.1.evil.example/cb', /loopback/],
    ['/relative/cb', /absolute/],
  ])('refuses %s', (uri, problem) => {
    expect(checkRedirectUri(uri)).toMatch(problem);
  });

  it('never echoes the URI in the problem', () => {
    expect(checkRedirectUri('http://<b>@evil.example/cb')).not.toContain('<b>');
  });

  it('checks every member of a list and leaves non-lists to the provider schema', () => {
    expect(checkRedirectUris(['http://127.0.0.1/cb', 'http://evil.example/cb'])).toMatch(/loopback/);
    expect(checkRedirectUris(['http://127.0.0.1/cb'])).toBeUndefined();
    expect(checkRedirectUris([7])).toMatch(/strings/);
    expect(checkRedirectUris('http://evil.example/cb')).toBeUndefined();
  });
});
