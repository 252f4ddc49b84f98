/**
 * Client authentication at the token endpoint (RFC 6749 §2.3; OAuth 2.1 §2.4): `none` (public
 * clients: `client_id` in the body), `client_secret_basic` (RFC 6749 §2.3.1), `client_secret_post`
 * (RFC 6749 §2.3.1) and `private_key_jwt` (RFC 7523 §2.2 and §3, OpenID Connect Core §9), the
 * method being chosen from the registration and the authorization server metadata's
 * `token_endpoint_auth_methods_supported` (RFC 8414 §2).
 */
import { randomUUID } from 'node:crypto';
import { type AuthorizationServerMetadata, invalidArgument, ProtocolError } from '@gatehouse/core';
import { importPKCS8, SignJWT } from 'jose';

/**
 * The part of an authorization server's metadata that a token request needs: enough for an identity
 * provider known only by its issuer and token endpoint (enterprise-managed authorization).
 */
export type TokenEndpointMetadata = Pick<
  AuthorizationServerMetadata,
  'issuer' | 'token_endpoint' | 'token_endpoint_auth_methods_supported'
>;

/** The token endpoint authentication methods the client implements. */
export type ClientAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

const METHODS: ReadonlySet<string> = new Set<ClientAuthMethod>([
  'none',
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
]);

/** A private key for `private_key_jwt`. Secret. */
export interface PrivateKeyJwtKey {
  /** A PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`): P-256 for ES256, RSA (2048+) for RS256. */
  readonly pem: string;
  readonly alg: 'ES256' | 'RS256';
  /** The `kid` of the matching public key in the client's registered JWKS. Default: none. */
  readonly kid?: string;
  /**
   * The assertion's `aud`. `'issuer'` (default): the authorization server's issuer identifier, as
   * draft-ietf-oauth-rfc7523bis requires (it closes an audience-confusion attack on RFC 7523's
   * looser rule); `'token_endpoint'`: the token endpoint URL, which RFC 7523 §3 and OpenID Connect
   * Core §9 allowed, for servers that accept only that.
   */
  readonly audience?: 'issuer' | 'token_endpoint';
}

/**
 * The client as the token endpoint sees it. A `ClientRegistration` fits (its
 * `tokenEndpointAuthMethod` is used when set); add `privateKey` for `private_key_jwt`.
 */
export interface TokenEndpointClient {
  readonly clientId: string;
  /** Secret. */
  readonly clientSecret?: string | undefined;
  /** The registered method; when absent it is chosen by {@link selectClientAuthMethod}. */
  readonly tokenEndpointAuthMethod?: string | undefined;
  /** Secret. */
  readonly privateKey?: PrivateKeyJwtKey | undefined;
}

/**
 * Chooses how the client authenticates:
 *
 * - the registration's `tokenEndpointAuthMethod` when set (the server decided it at registration),
 *   provided its credential exists;
 * - else, from the metadata's `token_endpoint_auth_methods_supported` (absent: RFC 8414 §2 default
 *   `client_secret_basic`): `private_key_jwt` when a `privateKey` is given; `client_secret_basic`,
 *   else `client_secret_post`, when a `clientSecret` is given; `none` for a client with neither.
 *
 * A method the client does not implement, or a credential the method needs missing, is a
 * `TypeError`; credentials that fit no advertised method → `ProtocolError` `ERR_UNEXPECTED_VALUE`
 * with attribute `token_endpoint_auth_methods_supported`. Does NOT check that `none` is advertised
 * (a public client has no other choice; the server answers `invalid_client` if it refuses).
 *
 * @example
 * selectClientAuthMethod({ clientId: 'a', clientSecret: 's' }, metadata); // 'client_secret_basic'
 */
export function selectClientAuthMethod(
  client: TokenEndpointClient,
  metadata: Readonly<TokenEndpointMetadata>,
): ClientAuthMethod {
  checkClient(client);
  const registered = client.tokenEndpointAuthMethod;
  if (registered !== undefined) {
    if (!METHODS.has(registered)) {
      throw invalidArgument(
        `token endpoint authentication method ${JSON.stringify(registered.slice(0, 40))} is not implemented; use none, client_secret_basic, client_secret_post or private_key_jwt`,
      );
    }
    const method = registered as ClientAuthMethod;
    if (method.startsWith('client_secret') && client.clientSecret === undefined) {
      throw invalidArgument(`"${method}" needs "clientSecret"`, 'ERR_MISSING_OPTION');
    }
    if (method === 'private_key_jwt' && client.privateKey === undefined) {
      throw invalidArgument('"private_key_jwt" needs "privateKey"', 'ERR_MISSING_OPTION');
    }
    return method;
  }
  const supported = metadata.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
  const wanted: ClientAuthMethod[] =
    client.privateKey !== undefined
      ? ['private_key_jwt']
      : client.clientSecret !== undefined
        ? ['client_secret_basic', 'client_secret_post']
        : ['none'];
  if (wanted[0] === 'none') return 'none';
  const method = wanted.find((candidate) => supported.includes(candidate));
  if (method === undefined) {
    throw new ProtocolError(
      'ERR_UNEXPECTED_VALUE',
      `the authorization server supports none of the token endpoint authentication methods the client's credentials allow (${wanted.join(', ')})`,
      {
        attribute: 'token_endpoint_auth_methods_supported',
        expected: wanted,
        actual: supported.slice(0, 10),
      },
    );
  }
  return method;
}

function checkClient(client: TokenEndpointClient): void {
  if (typeof client !== 'object' || client === null) {
    throw invalidArgument('"client" must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  if (typeof client.clientId !== 'string' || client.clientId === '') {
    throw invalidArgument('"clientId" is required', 'ERR_MISSING_OPTION');
  }
  if (
    client.clientSecret !== undefined &&
    (typeof client.clientSecret !== 'string' || client.clientSecret === '')
  ) {
    throw invalidArgument('"clientSecret" must be a non-empty string', 'ERR_INVALID_ARG_TYPE');
  }
  const key = client.privateKey;
  if (key !== undefined) {
    if (typeof key !== 'object' || key === null || typeof key.pem !== 'string') {
      throw invalidArgument('"privateKey" must be { pem, alg }', 'ERR_INVALID_ARG_TYPE');
    }
    if (key.alg !== 'ES256' && key.alg !== 'RS256')
      throw invalidArgument('"privateKey.alg" must be ES256 or RS256');
    if (key.audience !== undefined && key.audience !== 'issuer' && key.audience !== 'token_endpoint') {
      throw invalidArgument('"privateKey.audience" must be "issuer" or "token_endpoint"');
    }
  }
}

/**
 * RFC 6749 §2.3.1: the client id and secret are each encoded with the
 * `application/x-www-form-urlencoded` algorithm (RFC 6749 Appendix B: space → `+`, everything but
 * `A-Z a-z 0-9 * - . _` percent-encoded) before being joined by `:` and base64-encoded.
 *
 * @example
 * basicAuthorization('client:1', 'p@ss word'); // 'Basic ' + base64('client%3A1:p%40ss+word')
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const encode = (value: string) => new URLSearchParams([['', value]]).toString().slice(1);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`, 'utf8').toString('base64')}`;
}

/** Lifetime of a client assertion: short, it is single-use (RFC 7523 §3 `exp`). */
const ASSERTION_LIFETIME_SECONDS = 60;

/**
 * A `private_key_jwt` client assertion (RFC 7523 §3): `iss` = `sub` = client id, `aud` per
 * {@link PrivateKeyJwtKey.audience}, a random `jti`, `iat`, and `exp` 60 seconds later, signed with
 * jose. An unusable PEM is a `TypeError` (the key is never echoed).
 */
export async function createClientAssertion(
  client: TokenEndpointClient & { readonly privateKey: PrivateKeyJwtKey },
  metadata: Readonly<TokenEndpointMetadata>,
  now: number = Date.now(),
): Promise<string> {
  const { pem, alg, kid, audience = 'issuer' } = client.privateKey;
  let key: CryptoKey;
  try {
    key = await importPKCS8(pem, alg);
  } catch {
    throw invalidArgument(`"privateKey.pem" is not a PKCS#8 PEM private key usable with ${alg}`);
  }
  const iat = Math.floor(now / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg, ...(kid === undefined ? {} : { kid }) })
    .setIssuer(client.clientId)
    .setSubject(client.clientId)
    .setAudience(audience === 'issuer' ? metadata.issuer : metadata.token_endpoint)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + ASSERTION_LIFETIME_SECONDS)
    .sign(key);
}

/**
 * Adds the client's authentication to a token request: the `Authorization` header
 * (`client_secret_basic`) or body parameters (`client_id` for every other method, plus
 * `client_secret`, or `client_assertion_type` and `client_assertion`). Mutates `body` and `headers`.
 */
export async function applyClientAuthentication(
  method: ClientAuthMethod,
  client: TokenEndpointClient,
  metadata: Readonly<TokenEndpointMetadata>,
  body: URLSearchParams,
  headers: Record<string, string>,
): Promise<void> {
  switch (method) {
    case 'client_secret_basic':
      headers.authorization = basicAuthorization(client.clientId, client.clientSecret ?? '');
      return;
    case 'client_secret_post':
      body.set('client_id', client.clientId);
      body.set('client_secret', client.clientSecret ?? '');
      return;
    case 'private_key_jwt': {
      const privateKey = client.privateKey;
      if (privateKey === undefined)
        throw invalidArgument('"private_key_jwt" needs "privateKey"', 'ERR_MISSING_OPTION');
      body.set('client_id', client.clientId);
      body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      body.set('client_assertion', await createClientAssertion({ ...client, privateKey }, metadata));
      return;
    }
    case 'none':
      body.set('client_id', client.clientId);
      return;
  }
}
