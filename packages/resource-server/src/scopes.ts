/**
 * Which scopes an MCP operation needs, and whether a token's scopes cover them.
 *
 * - RFC 6749 §3.3: a scope is a case-sensitive `scope-token` (`%x21 / %x23-5B / %x5D-7E`, no spaces).
 * - MCP 2025-11-25 § Scope Challenge Handling: on `insufficient_scope` the challenge names the scopes
 *   the operation needs; MCP 2026-07-28 § Step-Up Authorization Flow: all of them in one challenge,
 *   and servers "MUST account for scope hierarchies" when deciding whether a token is sufficient.
 * - MCP 2026-07-28 § Refresh Tokens: `offline_access` is not an operation scope (S7).
 *
 * This module reads the JSON-RPC message only to find `method` and, for `tools/call`,
 * `params.name`. It does NOT validate the message (the MCP handler does), and it does NOT decide
 * per-resource or per-prompt access: do that in the handler and throw {@link InsufficientScope}.
 */
import { InsufficientScope, invalidArgument } from '@gatehouse/core';

/**
 * Scopes required per operation. Requirements add up: a `tools/call` of `delete_file` with
 * `{ default: ['mcp'], methods: { 'tools/call': ['mcp:tools'] }, tools: { delete_file: ['mcp:write'] } }`
 * needs `mcp`, `mcp:tools` and `mcp:write`.
 *
 * @example
 * const scopes: ScopeRequirements = { default: ['mcp:read'], tools: { delete_file: ['mcp:write'] } };
 */
export interface ScopeRequirements {
  /** Scopes every request needs (including `initialize` and notifications). Default: none. */
  default?: readonly string[];
  /** Extra scopes per JSON-RPC `method` (e.g. `'tools/call'`, `'resources/read'`). Default: none. */
  methods?: Readonly<Record<string, readonly string[]>>;
  /** Extra scopes for `tools/call` of the named tool (`params.name`). Default: none. */
  tools?: Readonly<Record<string, readonly string[]>>;
}

/**
 * Broader scope → the narrower scopes it implies, e.g. `{ 'mcp:admin': ['mcp:write'], 'mcp:write': ['mcp:read'] }`.
 * Implication is transitive (`mcp:admin` grants `mcp:read` above); cycles are allowed and harmless.
 * MCP 2026-07-28 § Step-Up Authorization Flow (S6).
 */
export type ScopeHierarchy = Readonly<Record<string, readonly string[]>>;

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** The scope that asks for a refresh token; never an operation scope (MCP 2026-07-28 § Refresh Tokens). */
export const OFFLINE_ACCESS = 'offline_access';

/** Whether `value` is an RFC 6749 §3.3 `scope-token`. */
export function isScopeToken(value: unknown): value is string {
  return typeof value === 'string' && SCOPE_TOKEN.test(value);
}

/**
 * Checks a configured list of scopes at construction: an array of RFC 6749 `scope-token`s,
 * without `offline_access`. Returns a de-duplicated copy.
 *
 * @throws TypeError (`ERR_INVALID_ARG_TYPE` / `ERR_INVALID_ARG_VALUE`) naming `name`.
 */
export function validateScopeList(value: unknown, name: string): string[] {
  if (!Array.isArray(value)) {
    throw invalidArgument(`"${name}" must be an array of scope strings`, 'ERR_INVALID_ARG_TYPE');
  }
  const seen = new Set<string>();
  for (const [index, scope] of value.entries()) {
    if (!isScopeToken(scope)) {
      throw invalidArgument(
        `"${name}[${index}]" is not a valid scope: a scope is a non-empty string of visible ASCII without spaces, '"' or '\\' (RFC 6749 §3.3)`,
      );
    }
    if (scope === OFFLINE_ACCESS) {
      throw invalidArgument(
        `"${name}" must not contain "offline_access": it asks for a refresh token and is not a permission on this resource (MCP 2026-07-28 § Refresh Tokens); clients add it themselves when the authorization server supports it`,
      );
    }
    seen.add(scope);
  }
  return [...seen];
}

function validateScopeMap(value: unknown, name: string): Record<string, string[]> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument(
      `"${name}" must be an object mapping names to arrays of scopes`,
      'ERR_INVALID_ARG_TYPE',
    );
  }
  const out: Record<string, string[]> = Object.create(null);
  for (const [key, scopes] of Object.entries(value)) {
    if (key === '') throw invalidArgument(`"${name}" has an empty key`);
    out[key] = validateScopeList(scopes, `${name}.${key}`);
  }
  return out;
}

/**
 * Validates {@link ScopeRequirements} at construction and returns a normalised copy (null-prototype
 * maps, so a tool named `constructor` or `__proto__` cannot pick up inherited values).
 *
 * @throws TypeError naming the offending field.
 */
export function validateScopeRequirements(value: unknown, name = 'scopes'): ScopeRequirements {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument(
      `"${name}" must be an object like { default: ['mcp:read'], tools: { delete_file: ['mcp:write'] } }`,
      'ERR_INVALID_ARG_TYPE',
    );
  }
  const input = value as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (key !== 'default' && key !== 'methods' && key !== 'tools') {
      throw invalidArgument(`"${name}.${key}" is not a known option: use "default", "methods" or "tools"`);
    }
  }
  const result: ScopeRequirements = {};
  if (input.default !== undefined) result.default = validateScopeList(input.default, `${name}.default`);
  if (input.methods !== undefined) result.methods = validateScopeMap(input.methods, `${name}.methods`);
  if (input.tools !== undefined) result.tools = validateScopeMap(input.tools, `${name}.tools`);
  return result;
}

/**
 * Validates a {@link ScopeHierarchy} at construction and returns a null-prototype copy.
 *
 * @throws TypeError naming the offending field.
 */
export function validateScopeHierarchy(value: unknown, name = 'scopeHierarchy'): ScopeHierarchy {
  const map = validateScopeMap(value, name);
  for (const key of Object.keys(map)) {
    if (!isScopeToken(key))
      throw invalidArgument(`"${name}" has a key that is not a valid scope (RFC 6749 §3.3)`);
  }
  return map;
}

/** Whether the requirements depend on the request body (per-method or per-tool scopes). */
export function requirementsNeedBody(requirements: ScopeRequirements | undefined): boolean {
  if (requirements === undefined) return false;
  const count = (map: Readonly<Record<string, readonly string[]>> | undefined) =>
    map === undefined ? 0 : Object.keys(map).length;
  return count(requirements.methods) + count(requirements.tools) > 0;
}

function own(map: Readonly<Record<string, readonly string[]>> | undefined, key: unknown): readonly string[] {
  if (map === undefined || typeof key !== 'string' || !Object.hasOwn(map, key)) return [];
  return map[key] ?? [];
}

function addMessageScopes(message: unknown, requirements: ScopeRequirements, into: Set<string>): void {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return;
  const { method, params } = message as { method?: unknown; params?: unknown };
  for (const scope of own(requirements.methods, method)) into.add(scope);
  if (method === 'tools/call' && typeof params === 'object' && params !== null) {
    for (const scope of own(requirements.tools, (params as { name?: unknown }).name)) into.add(scope);
  }
}

/**
 * Every scope the request needs: `default`, plus `methods[method]`, plus `tools[params.name]` for
 * `tools/call`. A JSON-RPC batch (array) needs the union over its messages. A body that is not a
 * JSON-RPC message (`undefined`, `null`, a response, garbage) needs only `default`: such a body runs
 * no method, and the MCP handler answers it with an error.
 *
 * @example
 * requiredScopesFor({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'delete_file' } },
 *   { tools: { delete_file: ['mcp:write'] } }); // ['mcp:write']
 */
export function requiredScopesFor(body: unknown, requirements: ScopeRequirements | undefined): string[] {
  if (requirements === undefined) return [];
  const scopes = new Set<string>(requirements.default ?? []);
  if (Array.isArray(body)) {
    for (const message of body) addMessageScopes(message, requirements, scopes);
  } else {
    addMessageScopes(body, requirements, scopes);
  }
  return [...scopes];
}

/**
 * The granted scopes plus everything they imply through `hierarchy` (transitively).
 */
export function expandScopes(granted: Iterable<string>, hierarchy: ScopeHierarchy | undefined): Set<string> {
  const result = new Set<string>();
  const pending = [...granted];
  while (pending.length > 0) {
    const scope = pending.pop() as string;
    if (result.has(scope)) continue;
    result.add(scope);
    if (hierarchy !== undefined && Object.hasOwn(hierarchy, scope)) pending.push(...(hierarchy[scope] ?? []));
  }
  return result;
}

/**
 * Whether `granted` covers every scope in `required`, counting scopes implied by `hierarchy`.
 * Comparison is exact and case-sensitive (RFC 6749 §3.3).
 *
 * @example
 * hasScopes(['mcp:admin'], ['mcp:read'], { 'mcp:admin': ['mcp:write'], 'mcp:write': ['mcp:read'] }); // true
 */
export function hasScopes(
  granted: Iterable<string>,
  required: Iterable<string>,
  hierarchy?: ScopeHierarchy,
): boolean {
  const effective = expandScopes(granted, hierarchy);
  for (const scope of required) if (!effective.has(scope)) return false;
  return true;
}

/**
 * Throws {@link InsufficientScope} naming every scope the operation needs (not only the missing
 * ones, MCP 2026-07-28 § Runtime Insufficient Scope Errors) when `granted` does not cover `required`.
 */
export function assertScopes(
  granted: Iterable<string>,
  required: readonly string[],
  hierarchy?: ScopeHierarchy,
): void {
  if (hasScopes(granted, required, hierarchy)) return;
  throw new InsufficientScope({
    scope: required.filter((scope) => scope !== OFFLINE_ACCESS),
    description: 'the access token does not grant the scopes this operation requires',
  });
}
