/**
 * Step 1 of enterprise-managed authorization (MCP extension `io.modelcontextprotocol/enterprise-managed-authorization`,
 * ext-auth § 4; draft-ietf-oauth-identity-assertion-authz-grant § 4.3): the MCP client exchanges the
 * user's identity assertion (an OpenID Connect ID token from single sign-on) for an Identity
 * Assertion JWT Authorization Grant (ID-JAG) at the enterprise identity provider's token endpoint,
 * with an RFC 8693 token exchange request:
 *
 * | parameter | value |
 * | --- | --- |
 * | `grant_type` | `urn:ietf:params:oauth:grant-type:token-exchange` |
 * | `requested_token_type` | `urn:ietf:params:oauth:token-type:id-jag` |
 * | `subject_token`, `subject_token_type` | the ID token, `urn:ietf:params:oauth:token-type:id_token` |
 * | `audience` | the issuer identifier of the MCP server's authorization server (MUST) |
 * | `resource` | the MCP server's resource identifier (RFC 9728), when given |
 * | `scope` | when given |
 *
 * The client authenticates to the identity provider as usual (`client-authentication.ts`). Step 2,
 * presenting the ID-JAG to the MCP authorization server, is `jwt-bearer-grant.ts`.
 */
import { invalidArgument, ProtocolError } from '@gatehouse/core';
import { at, type ClientHttpOptions, discard, readJson, unexpectedStatus } from '../http.js';
import type { TokenEndpointClient, TokenEndpointMetadata } from './client-authentication.js';
import { requireString, requireUrl, scopeParameter, tokenRequest } from './token-request.js';
import { kind, oauthErrorFrom } from './token-response.js';

/** RFC 8693 §2.1 `grant_type` of a token exchange. */
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** The token type of an ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant § 8). */
export const ID_JAG_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';
/** RFC 8693 §3 token type of an OpenID Connect ID token. */
export const ID_TOKEN_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
/** RFC 8693 §3 token type of a SAML 2.0 assertion. */
export const SAML2_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:saml2';

/** Parameters of {@link idJagTokenExchangeRequest}. Each default is stated on its field. */
export interface IdJagTokenExchange {
  /** Required. The identity assertion: the ID token from single sign-on. Secret. */
  readonly subjectToken: string;
  /** The type of `subjectToken`. Default {@link ID_TOKEN_TOKEN_TYPE}. */
  readonly subjectTokenType?: typeof ID_TOKEN_TOKEN_TYPE | typeof SAML2_TOKEN_TYPE;
  /** Required. The issuer identifier of the MCP server's authorization server (ext-auth § 4: MUST). */
  readonly audience: string;
  /** The MCP server's resource identifier (its canonical URI). Default: not sent (ext-auth § 4: OPTIONAL). */
  readonly resource?: string;
  /** Scopes at the MCP server. Default: not sent. */
  readonly scope?: readonly string[];
}

/** A validated token exchange response carrying an ID-JAG. Holds a secret: never log it. */
export interface IdJagGrant {
  /** The ID-JAG, to present as the `assertion` of the jwt-bearer grant. Secret. */
  readonly assertion: string;
  /** Always {@link ID_JAG_TOKEN_TYPE}. */
  readonly issued_token_type: typeof ID_JAG_TOKEN_TYPE;
  /** The granted scopes, when the identity provider says (absent: as requested). */
  readonly scope?: string;
  /** Seconds, as received. */
  readonly expires_in?: number;
  /** Seconds since the epoch when the ID-JAG expires: receipt time + `expires_in`. */
  readonly expiresAt?: number;
}

/** What {@link processIdJagResponse} checks. */
export interface IdJagResponseExpectations {
  /** The clock, in milliseconds since the epoch, for `expiresAt`. Default: `Date.now`. */
  readonly now?: () => number;
}

const WHAT = 'token exchange response';

/**
 * Sends the RFC 8693 token exchange request for an ID-JAG (see the module comment) to the identity
 * provider's `token_endpoint` (https, or http on loopback), authenticated as `client` (its
 * registration at the identity provider; a client without secret or key sends `client_id` only).
 * Returns the raw `Response` for {@link processIdJagResponse}.
 *
 * `identityProvider` needs only `issuer` (the `aud` of a `private_key_jwt` assertion), `token_endpoint`
 * and, optionally, `token_endpoint_auth_methods_supported`: pass discovered metadata, or those fields
 * when the provider is configured by hand. Misuse → `TypeError`; a non-https token endpoint →
 * `ProtocolError`. Does NOT validate the ID token (the identity provider does).
 *
 * @example
 * const response = await idJagTokenExchangeRequest(idp, { clientId: 'my-sso-client', clientSecret },
 *   { subjectToken: idToken, audience: discovery.authorizationServer.issuer, resource: discovery.resource });
 * const { assertion } = await processIdJagResponse(response);
 */
export function idJagTokenExchangeRequest(
  identityProvider: Readonly<TokenEndpointMetadata>,
  client: TokenEndpointClient,
  exchange: IdJagTokenExchange,
  options?: ClientHttpOptions,
): Promise<Response> {
  if (typeof exchange !== 'object' || exchange === null) {
    throw invalidArgument('"exchange" must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  const subjectTokenType = exchange.subjectTokenType ?? ID_TOKEN_TOKEN_TYPE;
  if (subjectTokenType !== ID_TOKEN_TOKEN_TYPE && subjectTokenType !== SAML2_TOKEN_TYPE) {
    throw invalidArgument(`"subjectTokenType" must be ${ID_TOKEN_TOKEN_TYPE} or ${SAML2_TOKEN_TYPE}`);
  }
  const body = new URLSearchParams({
    grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
    requested_token_type: ID_JAG_TOKEN_TYPE,
    audience: requireUrl(exchange.audience, 'audience'),
    subject_token: requireString(exchange.subjectToken, 'subjectToken'),
    subject_token_type: subjectTokenType,
  });
  if (exchange.resource !== undefined) body.set('resource', requireUrl(exchange.resource, 'resource'));
  const scope = scopeParameter(exchange.scope);
  if (scope !== undefined) body.set('scope', scope);
  return tokenRequest(identityProvider, client, body, options);
}

function invalidField(response: Response, name: string, expected: string, actual: string): ProtocolError {
  return new ProtocolError(
    'ERR_INVALID_RESPONSE',
    `"${name}" in the ${WHAT}${at(response)} must be ${expected}`,
    { attribute: name, expected, actual },
  );
}

/**
 * Validates the identity provider's answer (draft-ietf-oauth-identity-assertion-authz-grant § 4.3.4,
 * RFC 8693 §2.2) and returns the frozen {@link IdJagGrant}:
 *
 * - 200 with a JSON object: `issued_token_type` exactly {@link ID_JAG_TOKEN_TYPE} (else
 *   `ProtocolError` `ERR_UNEXPECTED_VALUE`, attribute `issued_token_type`: another kind of token is
 *   never presented as a grant); `access_token` (the ID-JAG) a non-empty string; `token_type` `N_A`
 *   in any case; `expires_in` a non-negative number and `scope` a string when present.
 * - 4xx with an RFC 6749 §5.2 body → `OAuthError` with the provider's `error` (e.g. `invalid_grant`
 *   for a refused ID token or a policy denial) and status.
 * - anything else → `ProtocolError` `ERR_INVALID_RESPONSE`.
 *
 * Messages name fields and types, never token values. Does NOT verify the ID-JAG's signature or
 * claims: it is opaque to the client, and the MCP authorization server verifies it.
 *
 * @example
 * const grant = await processIdJagResponse(await idJagTokenExchangeRequest(idp, client, exchange));
 */
export async function processIdJagResponse(
  response: Response,
  expectations: IdJagResponseExpectations = {},
): Promise<Readonly<IdJagGrant>> {
  if (!(response instanceof Response))
    throw invalidArgument('"response" must be a Response', 'ERR_INVALID_ARG_TYPE');
  const now = expectations.now ?? Date.now;
  if (response.status !== 200) {
    if (response.status >= 400 && response.status < 500) {
      const error = oauthErrorFrom(await readJson(response, WHAT).catch(() => undefined), response.status);
      if (error !== undefined) throw error;
    } else {
      await discard(response);
    }
    throw unexpectedStatus(WHAT, response, '200 (RFC 8693 §2.2)');
  }
  const body = await readJson(response, WHAT);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ProtocolError('ERR_INVALID_RESPONSE', `the ${WHAT}${at(response)} is not a JSON object`, {
      expected: 'a JSON object',
      actual: kind(body),
    });
  }
  const { access_token, issued_token_type, token_type, expires_in, scope } = body as Record<string, unknown>;
  if (issued_token_type !== ID_JAG_TOKEN_TYPE) {
    throw new ProtocolError(
      'ERR_UNEXPECTED_VALUE',
      `"issued_token_type" in the ${WHAT}${at(response)} is not ${ID_JAG_TOKEN_TYPE}: the identity provider did not issue an ID-JAG`,
      {
        attribute: 'issued_token_type',
        expected: ID_JAG_TOKEN_TYPE,
        actual:
          typeof issued_token_type === 'string'
            ? JSON.stringify(issued_token_type.slice(0, 100))
            : kind(issued_token_type),
      },
    );
  }
  if (typeof access_token !== 'string' || access_token === '') {
    throw invalidField(response, 'access_token', 'a non-empty string (the ID-JAG)', kind(access_token));
  }
  if (typeof token_type !== 'string' || token_type.toUpperCase() !== 'N_A') {
    throw invalidField(response, 'token_type', '"N_A" (RFC 8693 §2.2.1)', kind(token_type));
  }
  if (
    expires_in !== undefined &&
    (typeof expires_in !== 'number' || !Number.isFinite(expires_in) || expires_in < 0)
  ) {
    throw invalidField(response, 'expires_in', 'a non-negative number', kind(expires_in));
  }
  if (scope !== undefined && typeof scope !== 'string') {
    throw invalidField(response, 'scope', 'a string', kind(scope));
  }
  return Object.freeze({
    assertion: access_token,
    issued_token_type: ID_JAG_TOKEN_TYPE,
    ...(scope === undefined ? {} : { scope }),
    ...(expires_in === undefined
      ? {}
      : { expires_in, expiresAt: Math.floor(now() / 1000 + (expires_in as number)) }),
  });
}
