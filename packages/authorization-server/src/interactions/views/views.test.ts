import { describe, expect, it } from 'vitest';
import { clientIdHost, isLocalRedirect, redirectHost } from '../consent-view.js';
import { renderConsent } from './consent.js';
import { errorMessages, renderErrorPage } from './error.js';
import { renderSetup } from './setup.js';
import { renderSignIn } from './sign-in.js';

const evil = '"><script>alert(1)</script>';

describe('consent page', () => {
  const base = {
    approveAction: '/oauth/interaction/u1/confirm',
    denyAction: '/oauth/interaction/u1/abort',
    csrf: 'tok',
    clientId: 'client-1',
    clientName: undefined,
    clientIdHost: undefined,
    redirectHost: '127.0.0.1:5000',
    username: 'alice',
    scopes: [{ scope: 'offline_access', description: 'Keep access.' }],
    resources: [
      {
        url: 'https://mcp.example.com/mcp',
        name: 'Example MCP',
        scopes: [{ scope: 'mcp:tools', description: 'Use the tools' }],
      },
    ],
  };

  it('names the client, the resource, each scope with its description, and carries the CSRF token', () => {
    const page = renderConsent(base);
    expect(page).toContain('<strong>Unnamed application</strong>');
    expect(page).toContain('client-1');
    expect(page).toContain('127.0.0.1:5000');
    expect(page).toContain('<h2>Example MCP</h2>');
    expect(page).toContain('https://mcp.example.com/mcp');
    expect(page).toContain('<code>mcp:tools</code><br>Use the tools');
    expect(page).toContain('<code>offline_access</code>');
    expect(page.match(/name="csrf" value="tok"/g)).toHaveLength(2);
  });

  it('shows the host of a CIMD client_id prominently', () => {
    const page = renderConsent({
      ...base,
      clientId: 'https://app.example.net/client.json',
      clientIdHost: 'app.example.net',
    });
    expect(page).toContain('<p class="host">app.example.net</p>');
    expect(page).not.toContain('class="warning"');
  });

  it('warns when a CIMD client sends the browser to this computer', () => {
    const page = renderConsent({
      ...base,
      clientId: 'https://app.example.net/client.json',
      clientIdHost: 'app.example.net',
      localRedirectWarning: true,
    });
    expect(page).toContain(
      '<p class="warning" role="note">It will send you back to a program on this computer',
    );
  });

  it('escapes a hostile client name, scope description, resource name and username', () => {
    const page = renderConsent({
      ...base,
      clientName: evil,
      username: evil,
      resources: [{ url: evil, name: evil, scopes: [{ scope: evil, description: evil }] }],
    });
    expect(page).not.toContain('<script>');
    expect(page).toContain('&quot;&gt;&lt;script&gt;');
  });
});

describe('consent helpers', () => {
  it('takes the host of https client_ids only', () => {
    expect(clientIdHost('https://app.example.net:8443/c.json')).toBe('app.example.net:8443');
    expect(clientIdHost('abc123')).toBeUndefined();
    expect(clientIdHost('http://app.example.net/c.json')).toBeUndefined();
  });

  it('recognises loopback redirect URIs', () => {
    expect(isLocalRedirect('http://127.0.0.1:5000/cb')).toBe(true);
    expect(isLocalRedirect('http://localhost/cb')).toBe(true);
    expect(isLocalRedirect('http://[::1]:8080/cb')).toBe(true);
    expect(isLocalRedirect('https://app.example.net/cb')).toBe(false);
    expect(isLocalRedirect('com.example.app:/cb')).toBe(false);
  });

  it('shows the redirect host, or the app scheme', () => {
    expect(redirectHost('http://127.0.0.1:5000/cb')).toBe('127.0.0.1:5000');
    expect(redirectHost('com.example.app:/cb')).toBe('com.example.app:');
    expect(redirectHost(undefined)).toBeUndefined();
  });
});

describe('sign-in, setup and error pages', () => {
  it('sign-in keeps the username escaped and shows the error as an alert', () => {
    const page = renderSignIn({
      action: '/a',
      abortAction: '/b',
      csrf: 't',
      clientName: evil,
      username: evil,
      error: 'Wrong username or password.',
    });
    expect(page).not.toContain('<script>');
    expect(page).toContain(
      '<p class="alert" role="alert" id="sign-in-error">Wrong username or password.</p>',
    );
    expect(page).toContain('<label for="password">Password</label>');
    expect(page).toContain('autocomplete="current-password"');
  });

  it('setup carries the token in a hidden field, escaped', () => {
    const page = renderSetup({ action: '/oauth/setup', token: evil });
    expect(page).toContain('name="token" value="&quot;&gt;&lt;script&gt;');
    expect(page).toContain('autocomplete="new-password"');
  });

  it('error pages are fixed sentences', () => {
    const page = renderErrorPage(errorMessages.sessionNotFound);
    expect(page).toContain('<h1>This sign-in has expired</h1>');
  });
});
