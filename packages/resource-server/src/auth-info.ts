/**
 * What a verified access token says about the request: who, which client, which scopes, for which
 * resource, until when. Structurally compatible with the MCP SDK's `AuthInfo`, so it can be handed
 * to `createMcpHandler(...).fetch(request, { authInfo })` and reaches tool handlers as
 * `ctx.authInfo` / `extra.authInfo`.
 *
 * The raw `token` is a non-enumerable property: it is there for SDK compatibility, but
 * `JSON.stringify`, `console.log` and structured loggers do not print it. Never forward it to an
 * upstream server (MCP 2025-06-18 § Access Token Privilege Restriction).
 */
export interface AuthInfo {
  /** The raw access token (non-enumerable; see above). */
  readonly token: string;
  /** The OAuth client the token was issued to (`client_id` claim, RFC 9068 §2.2). */
  readonly clientId: string;
  /** Granted scopes (`scope` claim, space-separated on the wire). */
  readonly scopes: string[];
  /** Expiry in seconds since the epoch (`exp`). */
  readonly expiresAt?: number;
  /** This resource server's canonical URI, which the token's audience matched (RFC 8707). */
  readonly resource?: URL;
  /** The Protected Resource Metadata URL of the resource that accepted the token (RFC 9728). */
  resourceMetadataUrl?: string;
  /** The resource owner (`sub`), absent for some client_credentials tokens. */
  readonly subject?: string;
  /** The token's issuer (`iss`), already checked against the configured issuer. */
  readonly issuer: string;
  /** Every audience the token names (`aud`), already checked to contain this resource. */
  readonly audience: readonly string[];
  /** All verified claims (JWT payload or introspection response). */
  readonly claims: Readonly<Record<string, unknown>>;
  /** Free-form data for applications; Gatehouse puts nothing secret here. */
  readonly extra?: Record<string, unknown>;
}

/** Fields of an {@link AuthInfo} other than the raw token. */
export type AuthInfoFields = Omit<AuthInfo, 'token'>;

/**
 * Builds an {@link AuthInfo} whose `token` property is non-enumerable, so that serialising or
 * logging it never reveals the token.
 */
export function createAuthInfo(token: string, fields: AuthInfoFields): AuthInfo {
  const info = { ...fields } as AuthInfo;
  Object.defineProperty(info, 'token', { value: token, enumerable: false, writable: false });
  return info;
}
