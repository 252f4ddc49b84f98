import type { Adapter, AdapterPayload } from 'oidc-provider';
import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../storage/memory.js';
import {
  deviceFlowFeature,
  EXPIRED_DEVICE_CODE_GRACE_SECONDS,
  withExpiredDeviceCodes,
} from './device-flow.js';
import { AUTHORIZATION_SERVER_DEFAULTS, resolveOptions } from './options.js';

describe('deviceFlowFeature', () => {
  it('enables RFC 8628 with base-20 user codes masked ****-**** and our own pages', () => {
    const feature = deviceFlowFeature();
    expect(feature).toMatchObject({ enabled: true, charset: 'base-20', mask: '****-****' });
    expect(feature.userCodeInputSource?.name).toBe('userCodeInputSource');
    expect(feature.userCodeConfirmSource?.name).toBe('userCodeConfirmSource');
    expect(feature.successSource?.name).toBe('successSource');
  });
});

describe('withExpiredDeviceCodes', () => {
  const calls: Array<{ name: string; expiresIn: number | undefined }> = [];
  class Recording implements Adapter {
    readonly name: string;
    constructor(name: string) {
      this.name = name;
    }
    async upsert(_id: string, _payload: AdapterPayload, expiresIn?: number) {
      calls.push({ name: this.name, expiresIn });
    }
    async find() {
      return undefined;
    }
    async findByUserCode() {
      return undefined;
    }
    async findByUid() {
      return undefined;
    }
    async consume() {}
    async destroy() {}
    async revokeByGrantId() {}
  }

  it('keeps DeviceCode rows past their expiry (so polls get expired_token), and no other model', async () => {
    const Wrapped = withExpiredDeviceCodes(Recording);
    await new Wrapped('DeviceCode').upsert('d', {}, 600);
    await new Wrapped('DeviceCode').upsert('d', {}, -3);
    await new Wrapped('AccessToken').upsert('a', {}, 600);
    expect(calls).toEqual([
      { name: 'DeviceCode', expiresIn: 600 + EXPIRED_DEVICE_CODE_GRACE_SECONDS },
      { name: 'DeviceCode', expiresIn: EXPIRED_DEVICE_CODE_GRACE_SECONDS },
      { name: 'AccessToken', expiresIn: 600 },
    ]);
  });
});

describe('ttl.deviceCodeSeconds (RFC 8628 §3.2 expires_in)', () => {
  const base = {
    issuer: 'http://127.0.0.1:8080/oauth',
    storage: createMemoryStorage(),
    resources: [{ resource: 'http://127.0.0.1:8080/mcp', scopes: { 'mcp:tools': 'Use the tools' } }],
  };

  it('defaults to 10 minutes', () => {
    expect(resolveOptions(base).ttl.deviceCodeSeconds).toBe(600);
    expect(AUTHORIZATION_SERVER_DEFAULTS.ttl.deviceCodeSeconds).toBe(600);
  });

  it('accepts 60…3600 and refuses the rest with a TypeError naming the option', () => {
    expect(resolveOptions({ ...base, ttl: { deviceCodeSeconds: 1800 } }).ttl.deviceCodeSeconds).toBe(1800);
    for (const bad of [59, 3601, 1.5]) {
      expect(() => resolveOptions({ ...base, ttl: { deviceCodeSeconds: bad } })).toThrow(
        /"ttl\.deviceCodeSeconds"/,
      );
    }
  });
});
