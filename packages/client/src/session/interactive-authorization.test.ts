import type { AuthorizationServerMetadata } from '@gatehouse/core';
import { ProtocolError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { asMetadata } from '../canned-fetch.test-helpers.js';
import { checkAuthorizationFlow, chooseAuthorizationFlow } from './interactive-authorization.js';

const ISSUER = 'https://auth.example.com';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const withDevice = asMetadata(ISSUER, {
  device_authorization_endpoint: `${ISSUER}/device/auth`,
  grant_types_supported: ['authorization_code', 'refresh_token', DEVICE_GRANT],
}) as unknown as AuthorizationServerMetadata;
const withoutDevice = asMetadata(ISSUER) as unknown as AuthorizationServerMetadata;
const ssh = { SSH_CONNECTION: '203.0.113.9 52144 10.0.0.5 22', DISPLAY: 'localhost:10.0' };
const desktop = { DISPLAY: ':0' };

describe('chooseAuthorizationFlow', () => {
  it("'auto': the device grant when offered and no browser can be opened here", () => {
    expect(chooseAuthorizationFlow('auto', withDevice, { env: ssh, platform: 'linux' })).toBe('device');
    expect(chooseAuthorizationFlow('auto', withDevice, { env: {}, platform: 'linux' })).toBe('device');
    expect(chooseAuthorizationFlow('auto', withDevice, { headless: true, env: desktop })).toBe('device');
  });

  it("'auto': the browser when one can be opened, or the server does not offer the device grant", () => {
    expect(chooseAuthorizationFlow('auto', withDevice, { env: desktop, platform: 'linux' })).toBe('browser');
    expect(chooseAuthorizationFlow('auto', withDevice, { env: {}, platform: 'darwin' })).toBe('browser');
    expect(chooseAuthorizationFlow('auto', withDevice, { headless: false, env: {}, platform: 'linux' })).toBe(
      'browser',
    );
    // No device grant: the browser flow, which prints the URL and waits on a headless machine.
    expect(chooseAuthorizationFlow('auto', withoutDevice, { env: ssh, platform: 'linux' })).toBe('browser');
    const listedOnly = { ...withDevice, grant_types_supported: ['authorization_code'] };
    expect(chooseAuthorizationFlow('auto', listedOnly, { env: ssh, platform: 'linux' })).toBe('browser');
  });

  it("'auto': the browser when the caller drives that step itself (a hook or an opener)", () => {
    const noBrowser = { env: ssh, platform: 'linux' as const };
    expect(chooseAuthorizationFlow('auto', withDevice, { ...noBrowser, onAuthorizationUrl: () => {} })).toBe(
      'browser',
    );
    expect(
      chooseAuthorizationFlow('auto', withDevice, { ...noBrowser, openBrowser: async () => undefined }),
    ).toBe('browser');
  });

  it("'browser' and 'device' are obeyed; 'device' on a server without the grant is a ProtocolError", () => {
    expect(chooseAuthorizationFlow('browser', withDevice, { env: ssh, platform: 'linux' })).toBe('browser');
    expect(
      chooseAuthorizationFlow('device', withDevice, { env: desktop, onAuthorizationUrl: () => {} }),
    ).toBe('device');
    const error = (() => {
      try {
        return chooseAuthorizationFlow('device', withoutDevice, {});
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).attribute).toBe('device_authorization_endpoint');
    expect((error as Error).message).toMatch(/does not offer the device authorization grant/);
  });

  it('checkAuthorizationFlow: undefined is auto; anything else but the three names is misuse', () => {
    expect(checkAuthorizationFlow(undefined)).toBe('auto');
    expect(checkAuthorizationFlow('device')).toBe('device');
    expect(() => checkAuthorizationFlow('devices')).toThrow(TypeError);
    expect(() => checkAuthorizationFlow(true)).toThrow(TypeError);
  });
});
