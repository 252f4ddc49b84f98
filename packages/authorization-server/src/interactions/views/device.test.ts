import { describe, expect, it } from 'vitest';
import {
  deviceMessages,
  renderDeviceDenied,
  renderDeviceSuccess,
  renderDeviceTooManyAttempts,
  renderUserCodeConfirm,
  renderUserCodeInput,
} from './device.js';

const evil = '"><script>alert(1)</script>';

describe('device flow pages (RFC 8628 §3.3)', () => {
  it('the entry page has a labelled, hinted code field and the anti-forgery token, and no script', () => {
    const page = renderUserCodeInput({ action: '/oauth/device', xsrf: 'x1' });
    expect(page).toContain('<h1>Connect a device</h1>');
    expect(page).toContain('<form method="post" action="/oauth/device">');
    expect(page).toContain('<input type="hidden" name="xsrf" value="x1">');
    expect(page).toContain('<label for="user-code">Code</label>');
    expect(page).toMatch(/id="user-code" name="user_code"[^>]*aria-describedby="user-code-hint"/);
    expect(page).not.toContain('aria-invalid');
    expect(page).not.toMatch(/<script|\son[a-z]+=/i);
  });

  it('an error is an alert tied to the field; the typed code comes back escaped and cut', () => {
    const page = renderUserCodeInput({
      action: '/d',
      xsrf: 'x',
      userCode: `${evil}${'A'.repeat(100)}`,
      error: deviceMessages.notFound,
    });
    expect(page).toContain(
      `<p class="alert" role="alert" id="user-code-error">${deviceMessages.notFound}</p>`,
    );
    expect(page).toContain('aria-describedby="user-code-error user-code-hint" aria-invalid="true"');
    expect(page).not.toContain('<script>');
    const value = /name="user_code"[^>]*value="([^"]*)"/.exec(page)?.[1] ?? '';
    expect(value.startsWith('&quot;&gt;&lt;script&gt;')).toBe(true);
    expect(value).not.toContain('A'.repeat(60));
  });

  it('the confirmation page shows the code, the client and the device, with Continue and Cancel forms', () => {
    const page = renderUserCodeConfirm({
      action: '/oauth/device',
      xsrf: 'x2',
      userCode: 'BCDF-GHJK',
      clientId: 'client-1',
      clientName: evil,
      clientIdHost: undefined,
      deviceAddress: '127.0.0.1',
      deviceUserAgent: evil,
    });
    expect(page).toContain('<p class="user-code">BCDF-GHJK</p>');
    expect(page).toContain('client-1');
    expect(page).toContain('127.0.0.1');
    expect(page).not.toContain('<script>');
    expect(page.match(/name="xsrf" value="x2"/g)).toHaveLength(2);
    expect(page.match(/name="user_code" value="BCDF-GHJK"/g)).toHaveLength(2);
    expect(page).toContain(
      '<input type="hidden" name="confirm" value="yes"><button type="submit">Continue</button>',
    );
    expect(page).toContain(
      '<input type="hidden" name="abort" value="yes"><button type="submit" class="secondary">Cancel</button>',
    );
  });

  it('the confirmation page shows the host of a CIMD client_id prominently', () => {
    const page = renderUserCodeConfirm({
      action: '/d',
      xsrf: 'x',
      userCode: 'BCDF-GHJK',
      clientId: 'https://app.example.net/client.json',
      clientName: 'App',
      clientIdHost: 'app.example.net',
      deviceAddress: undefined,
      deviceUserAgent: undefined,
    });
    expect(page).toContain('<p class="host">app.example.net</p>');
    expect(page).not.toContain('Requested from address');
  });

  it('success, denied and too-many-attempts pages are plain words', () => {
    expect(renderDeviceSuccess({ clientName: evil })).not.toContain('<script>');
    expect(renderDeviceSuccess({ clientName: undefined })).toContain('<h1>Device connected</h1>');
    expect(renderDeviceDenied()).toContain('<h1>Device not connected</h1>');
    expect(renderDeviceTooManyAttempts()).toContain('<h1>Too many attempts</h1>');
  });
});
