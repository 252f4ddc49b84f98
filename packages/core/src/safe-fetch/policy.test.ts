import { describe, expect, it } from 'vitest';
import { createSafeFetch, safeFetch } from '../safe-fetch.js';
import { DEFAULT_SAFE_FETCH_POLICY, resolveSafeFetchPolicy } from './policy.js';

describe('safeFetch policy', () => {
  it('defaults to https-only, public addresses, 5000 ms and 1 MiB, frozen', () => {
    expect(DEFAULT_SAFE_FETCH_POLICY).toEqual({
      allowLoopback: false,
      dangerouslyAllowPrivateNetworks: false,
      timeoutMs: 5000,
      maxResponseBytes: 1_048_576,
    });
    expect(Object.isFrozen(DEFAULT_SAFE_FETCH_POLICY)).toBe(true);
    expect(resolveSafeFetchPolicy(undefined)).toBe(DEFAULT_SAFE_FETCH_POLICY);
    expect(resolveSafeFetchPolicy({})).toEqual(DEFAULT_SAFE_FETCH_POLICY);
  });

  it('keeps the options it is given', () => {
    expect(resolveSafeFetchPolicy({ allowLoopback: true, timeoutMs: 250, maxResponseBytes: 10 })).toEqual({
      allowLoopback: true,
      dangerouslyAllowPrivateNetworks: false,
      timeoutMs: 250,
      maxResponseBytes: 10,
    });
  });

  it.each([
    [{ timeoutMs: 0 }, 'ERR_INVALID_ARG_VALUE', 'timeoutMs'],
    [{ timeoutMs: -1 }, 'ERR_INVALID_ARG_VALUE', 'timeoutMs'],
    [{ timeoutMs: 1.5 }, 'ERR_INVALID_ARG_VALUE', 'timeoutMs'],
    [{ timeoutMs: Number.NaN }, 'ERR_INVALID_ARG_VALUE', 'timeoutMs'],
    [{ timeoutMs: Number.POSITIVE_INFINITY }, 'ERR_INVALID_ARG_VALUE', 'timeoutMs'],
    [{ timeoutMs: 2 ** 31 }, 'ERR_INVALID_ARG_VALUE', 'timeoutMs'],
    [{ timeoutMs: '5000' }, 'ERR_INVALID_ARG_TYPE', 'timeoutMs'],
    [{ maxResponseBytes: 0 }, 'ERR_INVALID_ARG_VALUE', 'maxResponseBytes'],
    [{ maxResponseBytes: Number.POSITIVE_INFINITY }, 'ERR_INVALID_ARG_VALUE', 'maxResponseBytes'],
    [{ maxResponseBytes: 2 ** 53 }, 'ERR_INVALID_ARG_VALUE', 'maxResponseBytes'],
    [{ allowLoopback: 'yes' }, 'ERR_INVALID_ARG_TYPE', 'allowLoopback'],
    [{ dangerouslyAllowPrivateNetworks: 1 }, 'ERR_INVALID_ARG_TYPE', 'dangerouslyAllowPrivateNetworks'],
    [{ allowLoopBack: true }, 'ERR_INVALID_ARG_VALUE', 'allowLoopBack'],
    [null, 'ERR_INVALID_ARG_TYPE', 'policy'],
    ['strict', 'ERR_INVALID_ARG_TYPE', 'policy'],
  ])('createSafeFetch(%j) throws a TypeError %s naming the option', (policy, code, name) => {
    const attempt = () => createSafeFetch(policy as never);
    expect(attempt).toThrow(TypeError);
    expect(attempt).toThrow(expect.objectContaining({ code, message: expect.stringContaining(name) }));
  });

  it('validates the policy given to safeFetch on each call, before any request', async () => {
    await expect(safeFetch('https://127.0.0.1/', { policy: { timeoutMs: -5 } })).rejects.toMatchObject({
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_VALUE',
    });
  });

  it('requires the lookup seam to be a function', () => {
    expect(() => createSafeFetch({}, { lookup: 'dns' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });
});
