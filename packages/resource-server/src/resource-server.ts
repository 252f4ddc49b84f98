/**
 * The neutral core of a protected MCP server: web-standard `Request` in, `AuthInfo | Response` out
 * (STYLE.md practice 8). Framework adapters (`adapters/*`) and the MCP endpoint
 * (`mcp-endpoint.ts`) are thin layers over it.
 *
 * Order of checks in {@link ResourceServer.authenticate}, each answered by the first failure:
 *
 * | step                | failure                       | spec                                              |
 * | ------------------- | ----------------------------- | ------------------------------------------------- |
 * | `Origin` / `Host`   | 403, JSON-RPC error, no `id`  | MCP transports § Security Warning                 |
 * | `Authorization`     | 401 no error / 400            | RFC 6750 §2.1, §3.1; RFC 9449 §7.1; MCP § Token Requirements |
 * | token verification  | 401 `invalid_token` / 503     | OAuth 2.1 §5.2, RFC 8707 §2, RFC 9068 §4          |
 * | key binding, proof  | 401 `invalid_token` / `invalid_dpop_proof` | RFC 9449 §4.3, §6, §7.1–7.2 (a `cnf.jkt` token never as Bearer) |
 * | scopes              | 403 `insufficient_scope`      | RFC 6750 §3.1; MCP 2025-11-25 § Scope Challenge Handling; 2026-07-28 S6 |
 *
 * Every 401/403/400 carries `resource_metadata` (RFC 9728 §5.1, required by MCP 2025-06-18).
 * Nothing here throws at request time: unexpected failures become a generic 500 and an `error`
 * event on the `gatehouse:resource-server` diagnostics channel.
 *
 * Does NOT route requests (except metadata paths), does NOT run the MCP protocol, and does NOT
 * forward the token anywhere (MCP § Access Token Privilege Restriction).
 */
import {
  canonicalResourceUri,
  invalidArgument,
  type ProtectedResourceMetadata,
  protectedResourceMetadataUrl,
} from '@gatehouse/core';
import { type AuthInfo, createAuthInfo } from './auth-info.js';
import { CHALLENGE_DEFAULTS, errorResponse, internalErrorResponse } from './challenge.js';
import { publish } from './diagnostics.js';
import {
  createDpopProofVerifier,
  type DpopOptions,
  type DpopProofVerifier,
} from './dpop/dpop-proof-verifier.js';
import {
  checkTokenBinding,
  extractPresentedToken,
  type PresentedToken,
  presentsDpop,
} from './dpop/token-binding.js';
import { BODY_DEFAULTS, bodyTooLargeResponse, readJsonBody } from './json-body.js';
import { createOriginCheck, type OriginOptions } from './origin.js';
import { createMetadataHandler, createProtectedResourceMetadata } from './protected-resource-metadata.js';
import {
  assertScopes,
  requiredScopesFor,
  requirementsNeedBody,
  type ScopeHierarchy,
  type ScopeRequirements,
  validateScopeHierarchy,
  validateScopeRequirements,
} from './scopes.js';
import type { AccessTokenVerifier } from './verify/types.js';
import { createAccessTokenVerifier, type VerifyAccessTokenOptions } from './verify/verify-access-token.js';

/** Verifier options in which `audience` may be left out: it then defaults to the canonical `resource`. */
type WithDefaultAudience<T> = T extends { audience: string }
  ? Omit<T, 'audience'> & { audience?: string }
  : T;

/** How tokens are verified: options for `createAccessTokenVerifier`, or a ready verifier. */
export type ResourceServerVerifyOptions = WithDefaultAudience<VerifyAccessTokenOptions> | AccessTokenVerifier;

/** Options of {@link createResourceServer}. Every default is stated on its field. */
export interface ResourceServerOptions {
  /** Required. The canonical URL of the MCP endpoint, e.g. `http://127.0.0.1:8080/mcp`; tokens must name it in `aud`. */
  resource: string | URL;
  /** Required. Issuers of the authorization servers whose tokens are accepted (published in the metadata). At least one. */
  authorizationServers: readonly string[];
  /**
   * Required. JWT (`{ issuer, jwksUri }`) or introspection options for `createAccessTokenVerifier`,
   * or an {@link AccessTokenVerifier}. `audience` defaults to the canonical `resource`.
   */
  verify: ResourceServerVerifyOptions;
  /** Scopes published in the metadata (`scopes_supported`). Default: omitted. No `offline_access`. */
  scopesSupported?: readonly string[];
  /** Scopes each operation needs. Default: none (any valid token may do anything). */
  scopes?: ScopeRequirements;
  /** Broader scope → implied narrower scopes, applied when checking {@link scopes}. Default: none. */
  scopeHierarchy?: ScopeHierarchy;
  /** `Origin` / `Host` policy; see {@link OriginOptions} for the loopback defaults. */
  origin?: OriginOptions;
  /** `resource_name` in the metadata. Default: omitted. */
  resourceName?: string;
  /** `resource_documentation` in the metadata. Default: omitted. */
  resourceDocumentation?: string;
  /** `Cache-Control` max-age of the metadata document, in seconds. Default 3600. */
  metadataMaxAgeSeconds?: number;
  /** Largest request body read for per-method / per-tool scope checks, in bytes. Default 4 MiB. */
  maxBodyBytes?: number;
  /** `Retry-After` of 503 answers (verifier unreachable), in seconds. Default 5. */
  retryAfterSeconds?: number;
  /**
   * DPoP (RFC 9449; MCP extension `io.modelcontextprotocol/auth/dpop`): `true` or {@link DpopOptions}
   * accept `Authorization: DPoP` with a proof for DPoP-bound tokens (`cnf.jkt`), publish
   * `dpop_signing_alg_values_supported` (and `dpop_bound_access_tokens_required` with `required`),
   * and add a `DPoP` challenge. Default: off (the `DPoP` scheme is answered like no credentials).
   * Whatever this says, a DPoP-bound token presented as `Bearer` is refused (RFC 9449 §7.2).
   */
  dpop?: boolean | DpopOptions;
}

/** A configured resource server (see {@link createResourceServer}). */
export interface ResourceServer {
  /** The canonical resource URI (also the default token audience). */
  readonly resource: string;
  /** The Protected Resource Metadata document (RFC 9728 §2). */
  readonly metadata: ProtectedResourceMetadata;
  /** The path-inserted metadata URL, sent as `resource_metadata` in challenges (RFC 9728 §5.1). */
  readonly metadataUrl: string;
  /**
   * Whether {@link authenticate} needs the JSON-RPC body (per-method or per-tool scopes are
   * configured). Adapters that have already parsed the body pass it; otherwise the core reads a clone.
   */
  readonly needsBody: boolean;
  /** Answers `GET`/`HEAD`/`OPTIONS` at both well-known metadata paths; `undefined` for any other path. */
  handleMetadataRequest(request: Request): Response | undefined;
  /** The `Origin` / `Host` check alone: a 403 `Response`, or `undefined` when allowed. */
  checkOrigin(request: Request): Response | undefined;
  /** Every scope the JSON-RPC `body` needs (see `requiredScopesFor`). */
  requiredScopes(body: unknown): string[];
  /**
   * Checks a request: Origin/Host, bearer token, verification, scopes. Resolves with the
   * {@link AuthInfo} (with `resourceMetadataUrl` set) or with the `Response` to send. Never rejects.
   *
   * `body`: the parsed JSON-RPC body when the caller has it, `null` when the request has no usable
   * body. When it is `undefined` and {@link needsBody} is true, the body is read from
   * `request.clone()` (bounded by `maxBodyBytes`); adapters should pass the parsed body instead, to
   * avoid parsing twice. If the body was already consumed and not passed, the answer is a 500: the
   * scopes of the operation cannot be known, and guessing would let a tool run without its scope.
   */
  authenticate(request: Request, body?: unknown): Promise<AuthInfo | Response>;
  /** Renders an OAuth error (e.g. an `InsufficientScope` decided by the application) with this server's `resource_metadata`. */
  errorResponse(error: unknown, scope?: readonly string[]): Response;
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'resource',
  'authorizationServers',
  'verify',
  'scopesSupported',
  'scopes',
  'scopeHierarchy',
  'origin',
  'resourceName',
  'resourceDocumentation',
  'metadataMaxAgeSeconds',
  'maxBodyBytes',
  'retryAfterSeconds',
  'dpop',
]);

const BODYLESS_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

function isVerifier(value: unknown): value is AccessTokenVerifier {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { verify?: unknown }).verify === 'function'
  );
}

function resolveVerifier(value: unknown, resource: string): AccessTokenVerifier {
  if (value === undefined || value === null) {
    throw invalidArgument(
      '"verify" is required: pass { issuer, jwksUri } to verify JWT access tokens, introspection options, or an AccessTokenVerifier',
      'ERR_MISSING_OPTION',
    );
  }
  if (isVerifier(value)) return value;
  if (typeof value !== 'object') {
    throw invalidArgument(
      '"verify" must be verifier options or an AccessTokenVerifier',
      'ERR_INVALID_ARG_TYPE',
    );
  }
  const options = value as Record<string, unknown>;
  const withAudience =
    'verifier' in options || options.audience !== undefined ? options : { ...options, audience: resource };
  return createAccessTokenVerifier(withAudience as VerifyAccessTokenOptions);
}

function positiveInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw invalidArgument(`"${name}" must be a positive integer`);
  }
  return value;
}

/**
 * Creates a resource server. All options are validated here (missing `resource`,
 * `authorizationServers` or `verify`, unknown option names, bad scopes or origins throw a
 * `TypeError` with a `code` and a hint), never on the first request.
 *
 * @example
 * const rs = createResourceServer({
 *   resource: 'http://127.0.0.1:8080/mcp',
 *   authorizationServers: ['http://127.0.0.1:8080/oauth'],
 *   verify: { issuer: 'http://127.0.0.1:8080/oauth', jwksUri: 'http://127.0.0.1:8080/oauth/jwks' },
 *   scopes: { default: ['mcp:read'], tools: { delete_file: ['mcp:write'] } },
 * });
 * const result = await rs.authenticate(request);
 * if (result instanceof Response) return result;
 */
export function createResourceServer(options: ResourceServerOptions): ResourceServer {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('createResourceServer() needs an options object', 'ERR_INVALID_ARG_TYPE');
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw invalidArgument(
        `unknown option "${key}" for createResourceServer(); known: ${[...KNOWN_OPTIONS].join(', ')}`,
      );
    }
  }
  if (options.resource === undefined) {
    throw invalidArgument(
      '"resource" is required: the canonical URL of the MCP endpoint, e.g. "https://mcp.example.com/mcp"; tokens must be issued for it',
      'ERR_MISSING_OPTION',
    );
  }
  const resource = canonicalResourceUri(options.resource);
  if (options.dpop !== undefined && typeof options.dpop !== 'boolean' && typeof options.dpop !== 'object') {
    throw invalidArgument('"dpop" must be a boolean or DPoP options', 'ERR_INVALID_ARG_TYPE');
  }
  const dpop: DpopProofVerifier | undefined =
    options.dpop === undefined || options.dpop === false
      ? undefined
      : createDpopProofVerifier(options.dpop === true ? {} : options.dpop);
  const metadata = createProtectedResourceMetadata({
    ...(dpop === undefined
      ? {}
      : {
          dpopSigningAlgValuesSupported: dpop.algorithms,
          ...(dpop.required ? { dpopBoundAccessTokensRequired: true } : {}),
        }),
    resource,
    authorizationServers: options.authorizationServers,
    ...(options.scopesSupported === undefined ? {} : { scopesSupported: options.scopesSupported }),
    ...(options.resourceName === undefined ? {} : { resourceName: options.resourceName }),
    ...(options.resourceDocumentation === undefined
      ? {}
      : { resourceDocumentation: options.resourceDocumentation }),
  });
  const verifier = resolveVerifier(options.verify, resource);
  const requirements =
    options.scopes === undefined ? undefined : validateScopeRequirements(options.scopes, 'scopes');
  const hierarchy =
    options.scopeHierarchy === undefined
      ? undefined
      : validateScopeHierarchy(options.scopeHierarchy, 'scopeHierarchy');
  const checkOrigin = createOriginCheck(resource, options.origin);
  const handleMetadataRequest = createMetadataHandler(
    metadata,
    options.metadataMaxAgeSeconds === undefined ? {} : { maxAgeSeconds: options.metadataMaxAgeSeconds },
  );
  const metadataUrl = protectedResourceMetadataUrl(resource);
  const maxBodyBytes = positiveInteger(options.maxBodyBytes, 'maxBodyBytes', BODY_DEFAULTS.maxBodyBytes);
  const retryAfterSeconds = positiveInteger(
    options.retryAfterSeconds,
    'retryAfterSeconds',
    CHALLENGE_DEFAULTS.retryAfterSeconds,
  );
  const needsBody = requirementsNeedBody(requirements);

  /** The scopes of the operation, or the `Response` to answer when the body cannot be read. */
  async function scopesOf(request: Request, body: unknown): Promise<string[] | Response> {
    if (!needsBody) return requiredScopesFor(undefined, requirements);
    if (body !== undefined) return requiredScopesFor(body, requirements);
    if (BODYLESS_METHODS.has(request.method) || request.body === null)
      return requiredScopesFor(null, requirements);
    if (request.bodyUsed) {
      return internalErrorResponse(
        invalidArgument(
          'the request body was already read: pass the parsed body to authenticate(request, body)',
        ),
        'body-unavailable',
      );
    }
    const read = await readJsonBody(request.clone(), maxBodyBytes);
    if (!read.ok) return bodyTooLargeResponse();
    return requiredScopesFor(read.value, requirements);
  }

  const publicOrigin = new URL(resource).origin;

  function render(
    error: unknown,
    scope: readonly string[] | undefined,
    request: Request,
    presented?: PresentedToken,
  ): Response {
    const dpopUsed =
      presented === undefined ? presentsDpop(request, dpop !== undefined) : presented.scheme === 'DPoP';
    return errorResponse(error, {
      resourceMetadataUrl: metadataUrl,
      retryAfterSeconds,
      ...(scope === undefined ? {} : { scope }),
      ...(presented === undefined ? {} : { token: presented.token }),
      ...(dpop === undefined
        ? {}
        : {
            dpop: {
              algorithms: dpop.algorithms,
              required: dpop.required,
              presented: dpopUsed ? 'DPoP' : 'Bearer',
            },
          }),
    });
  }

  async function authenticate(request: Request, body?: unknown): Promise<AuthInfo | Response> {
    let presented: PresentedToken | undefined;
    try {
      const refused = checkOrigin(request);
      if (refused !== undefined) return refused;

      let info: AuthInfo;
      try {
        presented = extractPresentedToken(request, dpop !== undefined);
        info = await verifier.verify(presented.token);
        await checkTokenBinding(request, presented, info, dpop, publicOrigin);
      } catch (error) {
        // A 401 tells the client which scopes to ask for (MCP 2025-11-25 § Scope Selection Strategy).
        // When the body cannot be read, the challenge simply goes without `scope`.
        const scopes = await scopesOf(request, body);
        return render(error, Array.isArray(scopes) ? scopes : undefined, request, presented);
      }

      const scopes = await scopesOf(request, body);
      if (scopes instanceof Response) return scopes;
      try {
        assertScopes(info.scopes, scopes, hierarchy);
      } catch (error) {
        return render(error, undefined, request, presented);
      }
      publish({ type: 'authenticated', subject: info.subject, clientId: info.clientId, scopes: info.scopes });
      if (info.resourceMetadataUrl !== undefined) return info;
      const { token: _omitted, ...fields } = info;
      return createAuthInfo(info.token, { ...fields, resourceMetadataUrl: metadataUrl });
    } catch (error) {
      return internalErrorResponse(error);
    }
  }

  return Object.freeze({
    resource,
    metadata,
    metadataUrl,
    needsBody,
    handleMetadataRequest,
    checkOrigin,
    requiredScopes: (body: unknown) => requiredScopesFor(body, requirements),
    authenticate,
    errorResponse: (error: unknown, scope?: readonly string[]) =>
      errorResponse(error, {
        resourceMetadataUrl: metadataUrl,
        retryAfterSeconds,
        ...(scope === undefined ? {} : { scope }),
        ...(dpop === undefined ? {} : { dpop: { algorithms: dpop.algorithms, required: dpop.required } }),
      }),
  });
}
