import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AddressPolicy, classifyAddress, isForbiddenAddress } from './ip-ranges.js';

const LOOPBACK: AddressPolicy = { allowLoopback: true };
const PRIVATE: AddressPolicy = { dangerouslyAllowPrivateNetworks: true };
const EVERYTHING: AddressPolicy = { allowLoopback: true, dangerouslyAllowPrivateNetworks: true };
const POLICIES: readonly AddressPolicy[] = [{}, LOOPBACK, PRIVATE, EVERYTHING];

/** [address, the option that allows it (or 'never')] for addresses refused by default. */
const REFUSED: readonly [string, 'allowLoopback' | 'dangerouslyAllowPrivateNetworks' | 'never'][] = [
  // IPv4
  ['0.0.0.0', 'never'],
  ['0.1.2.3', 'never'],
  ['10.0.0.1', 'dangerouslyAllowPrivateNetworks'],
  ['10.255.255.255', 'dangerouslyAllowPrivateNetworks'],
  ['100.64.0.1', 'dangerouslyAllowPrivateNetworks'],
  ['100.127.255.255', 'dangerouslyAllowPrivateNetworks'],
  ['100.100.100.200', 'never'],
  ['127.0.0.1', 'allowLoopback'],
  ['127.255.255.254', 'allowLoopback'],
  ['169.254.169.254', 'never'],
  ['169.254.170.2', 'never'],
  ['169.254.0.1', 'never'],
  ['172.16.0.1', 'dangerouslyAllowPrivateNetworks'],
  ['172.31.255.255', 'dangerouslyAllowPrivateNetworks'],
  ['192.0.0.1', 'never'],
  ['192.0.0.170', 'never'],
  ['192.0.2.1', 'never'],
  ['192.88.99.1', 'never'],
  ['192.168.1.1', 'dangerouslyAllowPrivateNetworks'],
  ['198.18.0.1', 'never'],
  ['198.19.255.255', 'never'],
  ['198.51.100.7', 'never'],
  ['203.0.113.9', 'never'],
  ['224.0.0.1', 'never'],
  ['239.255.255.250', 'never'],
  ['240.0.0.1', 'never'],
  ['255.255.255.255', 'never'],
  // IPv6
  ['::', 'never'],
  ['::1', 'allowLoopback'],
  ['0:0:0:0:0:0:0:1', 'allowLoopback'],
  ['::ffff:127.0.0.1', 'allowLoopback'],
  ['::ffff:7f00:1', 'allowLoopback'],
  ['0:0:0:0:0:ffff:7f00:1', 'allowLoopback'],
  ['::ffff:10.0.0.1', 'dangerouslyAllowPrivateNetworks'],
  ['::FFFF:C0A8:0101', 'dangerouslyAllowPrivateNetworks'],
  ['::ffff:169.254.169.254', 'never'],
  ['::ffff:a9fe:a9fe', 'never'],
  ['::ffff:0.0.0.0', 'never'],
  ['::127.0.0.1', 'never'], // IPv4-compatible, deprecated
  ['::ffff:0:10.0.0.1', 'never'], // IPv4-translated (SIIT)
  ['64:ff9b::10.0.0.1', 'never'],
  ['64:ff9b::a9fe:a9fe', 'never'],
  ['64:ff9b::7f00:1', 'never'],
  ['64:ff9b:1::1', 'never'],
  ['100::1', 'never'],
  ['2001::1', 'never'], // Teredo
  ['2001:2::1', 'never'], // benchmarking
  ['2001:db8::1', 'never'],
  ['3fff::1', 'never'],
  ['2002:a00:1::1', 'never'], // 6to4 of 10.0.0.1
  ['2002:7f00:1::', 'never'], // 6to4 of 127.0.0.1
  ['2002:a9fe:a9fe::1', 'never'],
  ['fc00::1', 'dangerouslyAllowPrivateNetworks'],
  ['fd12:3456:789a::1', 'dangerouslyAllowPrivateNetworks'],
  ['fd00:ec2::254', 'never'],
  ['fe80::1', 'never'],
  ['FE80::1', 'never'],
  ['febf:ffff::1', 'never'],
  ['fec0::1', 'never'],
  ['ff02::1', 'never'],
  ['ff0e::1', 'never'],
  ['5f00::1', 'never'],
  ['4000::1', 'never'],
  ['e000::1', 'never'],
];

const PUBLIC: readonly string[] = [
  '1.1.1.1',
  '8.8.8.8',
  '93.184.215.14',
  '9.255.255.255',
  '11.0.0.0',
  '100.63.255.255',
  '100.128.0.0',
  '126.255.255.255',
  '128.0.0.0',
  '169.253.255.255',
  '169.255.0.0',
  '172.15.255.255',
  '172.32.0.0',
  '192.0.1.1',
  '192.88.100.1',
  '192.167.255.255',
  '192.169.0.1',
  '198.17.255.255',
  '198.20.0.0',
  '223.255.255.255',
  '2606:4700:4700::1111',
  '2a00:1450:4001:81c::200e',
  '2001:200::1',
  '2001:db9::1',
  '::ffff:8.8.8.8',
  '::ffff:808:808',
  '64:ff9b::8.8.8.8',
  '2002:808:808::1',
];

/** Strings that are not IP address literals: refused whatever the policy (fail closed). */
const NOT_ADDRESSES: readonly string[] = [
  '',
  'localhost',
  'example.com',
  '[::1]',
  '127.1',
  '0x7f000001',
  '0x7f.0.0.1',
  '2130706433',
  '017700000001',
  '0177.0.0.1',
  '010.0.0.1',
  ' 1.1.1.1',
  '1.1.1.1 ',
  '1.1.1.1.',
  '256.0.0.1',
  'fe80::1%eth0',
  'fe80::1%25eth0',
  '2606:4700::1111%1',
  '::ffff:127.0.0.1:80',
];

describe('isForbiddenAddress', () => {
  it.each(REFUSED)('refuses %s by default, and allows it only with %s', (address, allowedBy) => {
    expect(isForbiddenAddress(address)).toBe(true);
    expect(isForbiddenAddress(address, LOOPBACK)).toBe(allowedBy !== 'allowLoopback');
    expect(isForbiddenAddress(address, PRIVATE)).toBe(allowedBy !== 'dangerouslyAllowPrivateNetworks');
    expect(isForbiddenAddress(address, EVERYTHING)).toBe(allowedBy === 'never');
  });

  it.each(PUBLIC)('allows the globally reachable address %s under every policy', (address) => {
    for (const policy of POLICIES) expect(isForbiddenAddress(address, policy)).toBe(false);
  });

  it.each(NOT_ADDRESSES)('fails closed on %j, which is not an IP address literal', (input) => {
    for (const policy of POLICIES) expect(isForbiddenAddress(input, policy)).toBe(true);
  });

  it('names cloud metadata in the reason for 169.254.169.254', () => {
    expect(classifyAddress('169.254.169.254')).toMatchObject({
      cidr: '169.254.0.0/16',
      allowedBy: undefined,
    });
    expect(classifyAddress('169.254.169.254')?.name).toContain('metadata');
  });

  it('says which IPv4 address an IPv4-mapped or NAT64 address reaches', () => {
    expect(classifyAddress('::ffff:a00:1')?.name).toContain('10.0.0.1');
    expect(classifyAddress('64:ff9b::a9fe:a9fe')).toMatchObject({
      cidr: '64:ff9b::/96',
      allowedBy: undefined,
    });
    expect(classifyAddress('64:ff9b::a9fe:a9fe')?.name).toContain('169.254.169.254');
  });

  it('returns undefined from classifyAddress for a public address', () => {
    expect(classifyAddress('8.8.8.8')).toBeUndefined();
    expect(classifyAddress('2606:4700:4700::1111')).toBeUndefined();
  });
});

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
const dotted = ([a, b, c, d]: [number, number, number, number]): string => `${a}.${b}.${c}.${d}`;
const hexPair = ([a, b, c, d]: [number, number, number, number]): string =>
  `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;

describe('isForbiddenAddress on IPv6 forms that embed IPv4 (property tests)', () => {
  it('judges an IPv4-mapped address exactly like its IPv4 address, in both notations, under every policy', () => {
    fc.assert(
      fc.property(ipv4, fc.constantFrom(...POLICIES), (v4, policy) => {
        const expected = isForbiddenAddress(dotted(v4), policy);
        expect(isForbiddenAddress(`::ffff:${dotted(v4)}`, policy)).toBe(expected);
        expect(isForbiddenAddress(`::ffff:${hexPair(v4)}`, policy)).toBe(expected);
        expect(isForbiddenAddress(`0:0:0:0:0:ffff:${hexPair(v4)}`, policy)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a NAT64 or 6to4 address exactly when its IPv4 address is refused by default, whatever the policy', () => {
    fc.assert(
      fc.property(ipv4, fc.constantFrom(...POLICIES), (v4, policy) => {
        const expected = isForbiddenAddress(dotted(v4));
        expect(isForbiddenAddress(`64:ff9b::${dotted(v4)}`, policy)).toBe(expected);
        expect(isForbiddenAddress(`64:ff9b::${hexPair(v4)}`, policy)).toBe(expected);
        expect(isForbiddenAddress(`2002:${hexPair(v4)}::1`, policy)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses every address of 10.0.0.0/8 and fc00::/7 by default', () => {
    fc.assert(
      fc.property(fc.nat(255), fc.nat(255), fc.nat(255), (b, c, d) => {
        expect(isForbiddenAddress(`10.${b}.${c}.${d}`)).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.nat(0xffff), { minLength: 7, maxLength: 7 }), fc.boolean(), (rest, d) => {
        const first = (d ? 0xfd00 : 0xfc00) | (rest[0]! & 0xff);
        const address = [first, ...rest].map((g) => g.toString(16)).join(':');
        expect(isForbiddenAddress(address)).toBe(true);
      }),
    );
  });
});
