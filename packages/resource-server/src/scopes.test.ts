import { InsufficientScope } from '@gatehouse/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertScopes,
  expandScopes,
  hasScopes,
  isScopeToken,
  requiredScopesFor,
  requirementsNeedBody,
  validateScopeHierarchy,
  validateScopeList,
  validateScopeRequirements,
} from './scopes.js';

const call = (name: unknown) => ({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name, arguments: {} },
});

describe('scope-token grammar (RFC 6749 §3.3)', () => {
  it('accepts visible ASCII except space, quote and backslash', () => {
    expect(isScopeToken('mcp:read')).toBe(true);
    expect(isScopeToken('https://api.example/files.read')).toBe(true);
    for (const bad of ['', 'a b', 'a"b', 'a\\b', 'é', 'a\tb', 42, undefined])
      expect(isScopeToken(bad)).toBe(false);
  });
});

describe('validateScopeList', () => {
  it('deduplicates and keeps order', () => {
    expect(validateScopeList(['a', 'b', 'a'], 'x')).toEqual(['a', 'b']);
  });
  it('S7 refuses offline_access with a hint', () => {
    expect(() => validateScopeList(['mcp', 'offline_access'], 'scopesSupported')).toThrow(
      /offline_access.*refresh token/,
    );
  });
  it('names the bad entry', () => {
    expect(() => validateScopeList(['ok', 'not ok'], 'scopes.default')).toThrow(/scopes\.default\[1\]/);
    expect(() => validateScopeList('mcp', 'scopes.default')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });
});

describe('validateScopeRequirements', () => {
  it('refuses unknown keys so that typos are not ignored', () => {
    expect(() => validateScopeRequirements({ tool: { x: ['a'] } })).toThrow(/scopes\.tool/);
  });
  it('refuses non-objects', () => {
    expect(() => validateScopeRequirements(['a'])).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });
  it('names the bad tool', () => {
    expect(() => validateScopeRequirements({ tools: { delete_file: 'mcp:write' } })).toThrow(
      /scopes\.tools\.delete_file/,
    );
  });
});

describe('requiredScopesFor', () => {
  const requirements = validateScopeRequirements({
    default: ['mcp'],
    methods: { 'tools/call': ['mcp:tools'], 'resources/read': ['mcp:resources'] },
    tools: { delete_file: ['mcp:write'], constructor: ['odd'] },
  });

  it('adds default, method and tool scopes', () => {
    expect(requiredScopesFor(call('delete_file'), requirements)).toEqual(['mcp', 'mcp:tools', 'mcp:write']);
    expect(requiredScopesFor(call('read_file'), requirements)).toEqual(['mcp', 'mcp:tools']);
    expect(requiredScopesFor({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, requirements)).toEqual(['mcp']);
  });

  it('takes the union over a batch', () => {
    const batch = [
      call('delete_file'),
      { jsonrpc: '2.0', id: 3, method: 'resources/read', params: { uri: 'x' } },
    ];
    expect(new Set(requiredScopesFor(batch, requirements))).toEqual(
      new Set(['mcp', 'mcp:tools', 'mcp:write', 'mcp:resources']),
    );
  });

  it('needs only the default for bodies that run nothing', () => {
    for (const body of [
      undefined,
      null,
      'x',
      1,
      { result: {} },
      call(42),
      { method: 'tools/call', params: null },
    ]) {
      expect(requiredScopesFor(body, requirements)).toEqual(
        body !== null && typeof body === 'object' && 'method' in body ? ['mcp', 'mcp:tools'] : ['mcp'],
      );
    }
  });

  it('does not read inherited properties as tool names', () => {
    expect(requiredScopesFor(call('toString'), requirements)).toEqual(['mcp', 'mcp:tools']);
    expect(requiredScopesFor(call('__proto__'), requirements)).toEqual(['mcp', 'mcp:tools']);
    expect(requiredScopesFor(call('constructor'), requirements)).toEqual(['mcp', 'mcp:tools', 'odd']);
    // Plain (unvalidated) requirement objects are guarded as well.
    expect(requiredScopesFor(call('toString'), { tools: { a: ['b'] } })).toEqual([]);
  });

  it('says when the body matters', () => {
    expect(requirementsNeedBody(undefined)).toBe(false);
    expect(requirementsNeedBody({ default: ['a'] })).toBe(false);
    expect(requirementsNeedBody({ tools: { x: ['a'] } })).toBe(true);
    expect(requirementsNeedBody({ methods: { 'tools/call': ['a'] } })).toBe(true);
  });
});

describe('scope hierarchies (MCP 2026-07-28 S6)', () => {
  const hierarchy = validateScopeHierarchy({
    'mcp:admin': ['mcp:write'],
    'mcp:write': ['mcp:read'],
    loop: ['loop'],
  });

  it('S6 MUST account for scope hierarchies: a broader scope satisfies a narrower one, transitively', () => {
    expect(hasScopes(['mcp:admin'], ['mcp:read'], hierarchy)).toBe(true);
    expect(hasScopes(['mcp:write'], ['mcp:read', 'mcp:write'], hierarchy)).toBe(true);
  });
  it('never the other way round', () => {
    expect(hasScopes(['mcp:read'], ['mcp:write'], hierarchy)).toBe(false);
    expect(hasScopes(['mcp:write'], ['mcp:admin'], hierarchy)).toBe(false);
  });
  it('is exact and case-sensitive without a hierarchy', () => {
    expect(hasScopes(['MCP:READ'], ['mcp:read'])).toBe(false);
    expect(hasScopes([], [])).toBe(true);
  });
  it('survives cycles', () => {
    expect([...expandScopes(['loop'], hierarchy)]).toEqual(['loop']);
  });
  it('refuses keys that are not scopes', () => {
    expect(() => validateScopeHierarchy({ 'a b': ['c'] })).toThrow(/scopeHierarchy/);
  });
  it('is monotonic: adding granted scopes never loses access (property)', () => {
    const scope = fc.constantFrom('mcp:admin', 'mcp:write', 'mcp:read', 'other');
    fc.assert(
      fc.property(fc.array(scope), fc.array(scope), fc.array(scope), (granted, extra, required) => {
        if (hasScopes(granted, required, hierarchy)) {
          expect(hasScopes([...granted, ...extra], required, hierarchy)).toBe(true);
        }
      }),
    );
  });
});

describe('assertScopes', () => {
  it('throws InsufficientScope naming every required scope, not only the missing ones', () => {
    let caught: unknown;
    try {
      assertScopes(['mcp', 'offline_access'], ['mcp', 'mcp:write']);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InsufficientScope);
    expect((caught as InsufficientScope).scope).toEqual(['mcp', 'mcp:write']);
    expect((caught as InsufficientScope).status).toBe(403);
  });
  it('passes when covered', () => {
    expect(() => assertScopes(['a', 'b'], ['b'])).not.toThrow();
  });
});
