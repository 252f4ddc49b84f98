import { InvalidRequest, InvalidToken } from '@gatehouse/core';
import { refuseTokenInQuery } from './query-token.js';

/**
 * RFC 6750 §2.1 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
 * Anchored, no backtracking hazards (one character class, then one literal).
 */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * `credentials = "Bearer" 1*SP b64token` (RFC 6750 §2.1). The scheme is compared
 * case-insensitively (RFC 9110 §11.1); the separator is one or more spaces (SP only, as the
 * grammar says: no tabs).
 */
const BEARER_CREDENTIALS = /^([A-Za-z0-9!#$%&'*+\-.^_`|~]+) +(\S+)$/;

/**
 * Whether any credentials in the (possibly comma-joined) header start like the Bearer scheme; such a
 * header is parsed strictly (and refused with 400 when malformed, e.g. `Bearer` glued to the token).
 */
const BEARER_ANYWHERE = /(?:^|,)\s*bearer/i;

/**
 * Extracts the access token from the `Authorization: Bearer` header of a request
 * (RFC 6750 §2.1; MCP 2025-06-18 § Access Token Usage > Token Requirements).
 *
 * - No `Authorization` header, or an empty one: throws `InvalidToken.missing()` (a bare 401
 *   challenge, RFC 6750 §3.1).
 * - Credentials of another scheme only (`Basic …`, `Digest …`): throws `InvalidToken.missing()`
 *   too — RFC 6750 §3.1 treats "an unsupported authentication method" like no credentials, so the
 *   client still gets the bare challenge that leads it to the authorization server.
 * - A `Bearer` header that is not exactly `Bearer <b64token>` (no token, extra parts, characters
 *   outside `b64token`, or two `Authorization` headers, which `Headers` joins with a comma):
 *   throws {@link InvalidRequest} (400). The scheme is case-insensitive; one or more
 *   spaces may separate it from the token, as the grammar allows.
 * - `access_token` in the URL query (RFC 6750 §2.3) is refused with {@link InvalidRequest}, even
 *   when a valid header is present too: tokens never travel in URLs (MCP § Token Requirements).
 *
 * Form-encoded body tokens (RFC 6750 §2.2) are not supported: the body is never read here, and MCP
 * requires the header. Error descriptions never contain the header value.
 *
 * Does NOT check the token itself: that is the job of an `AccessTokenVerifier`.
 *
 * @example
 * const token = extractBearerToken(request); // 'eyJhbGciOi…'
 */
export function extractBearerToken(request: Request): string {
  refuseTokenInQuery(request);
  const header = request.headers.get('authorization');
  // `Headers` trims the value; an empty header is treated like no header (401, not 400), so
  // that a client that sends `Authorization:` with nothing still gets the challenge it needs.
  if (header === null || header === '') throw InvalidToken.missing();
  if (!BEARER_ANYWHERE.test(header)) throw InvalidToken.missing();

  const match = BEARER_CREDENTIALS.exec(header);
  if (match === null) {
    throw new InvalidRequest({
      description: 'the Authorization header must be "Bearer", a space and the token',
    });
  }
  const [, scheme, token] = match as unknown as [string, string, string];
  if (scheme.toLowerCase() !== 'bearer') {
    throw new InvalidRequest({ description: 'the Authorization header must use the "Bearer" scheme' });
  }
  if (!B64TOKEN.test(token)) {
    throw new InvalidRequest({ description: 'the bearer token contains characters not allowed by RFC 6750' });
  }
  return token;
}
