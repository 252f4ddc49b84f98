/**
 * A throw-away authorization server for tests: signing keys, a JWKS and an RFC 7662 introspection
 * endpoint served over real HTTP on 127.0.0.1 (port 0), and token minting helpers, including the
 * classic attacks (`alg: none`, HS256 signed with the public key, a tampered payload, an unknown key).
 *
 * Test code only: never import it from a package's `src/` outside of `*.test.ts`.
 *
 * @example
 * const issuer = await startTestIssuer({ audience: 'http://127.0.0.1:8080/mcp' });
 * const token = await issuer.mintAccessToken({ scope: 'tools:read' });
 * await issuer.close();
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll } from 'vitest';

/** A signing key pair with its `kid` and public JWK. */
export interface TestKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** The public key as a JWK, with `kid`, `alg` and `use: 'sig'`. */
  readonly publicJwk: JWK;
}

/** Claims of a minted token. A key given as `undefined` removes that claim from the defaults. */
export interface TestAccessTokenClaims {
  iss?: string;
  aud?: string | string[];
  sub?: string;
  client_id?: string;
  scope?: string;
  iat?: number;
  exp?: number;
  nbf?: number;
  jti?: string;
  [claim: string]: unknown;
}

/** How {@link TestIssuer.mintAccessToken} signs. */
export interface MintOptions {
  /** The signing key. Default: the issuer's published key. */
  key?: TestKey;
  /** The JWS `alg`. Default: the key's `alg`. */
  alg?: string;
  /** The `kid` header; `null` omits it. Default: the key's `kid`. */
  kid?: string | null;
  /** The `typ` header; `null` omits it. Default `at+jwt`. */
  typ?: string | null;
  /** Seconds from now to `exp` (ignored when `exp` is in the claims). Default 300. */
  expiresIn?: number;
  /** Seconds from now to `nbf` (may be negative); no `nbf` when absent. */
  notBefore?: number;
  /** Extra or overriding protected header parameters. */
  header?: Record<string, unknown>;
  /** "Now" in seconds since the epoch, for `iat`, `exp` and `nbf`. Default: the real clock. */
  now?: number;
}

/** What the introspection endpoint received, for assertions. */
export interface RecordedIntrospection {
  readonly authorization: string | undefined;
  readonly contentType: string | undefined;
  readonly params: URLSearchParams;
}

/** A running test issuer. */
export interface TestIssuer {
  /** `http://127.0.0.1:<port>`: the `iss` of minted tokens. */
  readonly issuer: string;
  /** `<issuer>/jwks.json`. */
  readonly jwksUri: string;
  /** `<issuer>/introspect` (RFC 7662). */
  readonly introspectionEndpoint: string;
  /** The default `aud` of minted tokens. */
  readonly audience: string;
  /** Client credentials the introspection endpoint accepts (client_secret_basic). */
  readonly introspectionClient: { readonly clientId: string; readonly clientSecret: string };
  /** The published ES256 key. */
  readonly key: TestKey;
  /** An ES256 key that is NOT in the JWKS (unknown-`kid` tests), until {@link publishKey}. */
  readonly otherKey: TestKey;
  /** Number of JWKS requests served so far. */
  readonly requestCount: number;
  /** Every introspection request received so far. */
  readonly introspectionRequests: readonly RecordedIntrospection[];
  /** The JWKS as currently served. */
  jwks(): { keys: JWK[] };
  /** Adds a key to the JWKS (key rotation). */
  publishKey(key: TestKey): void;
  /** Makes the JWKS endpoint answer with this HTTP status (`undefined`: serve the JWKS again). */
  failJwks(status: number | undefined): void;
  /** Signs an access token with sane defaults (iss, aud, sub, client_id, scope, iat, exp, jti). */
  mintAccessToken(claims?: TestAccessTokenClaims, options?: MintOptions): Promise<string>;
  /** An `alg: none` token with an empty signature. */
  mintUnsignedToken(claims?: TestAccessTokenClaims): string;
  /** HS256 where the HMAC secret is the public key's PEM (`'pem'`, default) or JWK JSON bytes. */
  mintHs256WithPublicKey(claims?: TestAccessTokenClaims, secretForm?: 'pem' | 'jwk'): Promise<string>;
  /** Rewrites the payload (default: `scope: 'admin'`, `sub: 'admin'`) and keeps the signature. */
  tamper(token: string, changes?: TestAccessTokenClaims): string;
  /** Sets the introspection answer for a token (`undefined`: `{ active: false }`, as for unknown tokens). */
  setIntrospection(token: string, response: Record<string, unknown> | undefined): void;
  /** Makes every introspection request answer with this status and raw body (`undefined`: normal). */
  failIntrospection(failure: { status: number; body: string } | undefined): void;
  /** The claims a default token would carry now (for building introspection answers). */
  defaultClaims(overrides?: TestAccessTokenClaims): Record<string, unknown>;
  /** Stops the server and drops its connections. */
  close(): Promise<void>;
}

/** Options of {@link startTestIssuer}. */
export interface StartTestIssuerOptions {
  /** Default `aud` of minted tokens. Default `<issuer>/mcp`. */
  audience?: string;
}

/** Generates a signing key pair (extractable, so the public half can be exported). */
export async function generateTestKey(alg = 'ES256', kid: string = randomUUID()): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicKey, publicJwk };
}

function base64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function applyClaims(
  base: Record<string, unknown>,
  changes: TestAccessTokenClaims = {},
): Record<string, unknown> {
  const result = { ...base };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete result[name];
    else result[name] = value;
  }
  return result;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts a test issuer on 127.0.0.1, port 0. Close it in `afterAll`. */
export async function startTestIssuer(options: StartTestIssuerOptions = {}): Promise<TestIssuer> {
  const key = await generateTestKey('ES256', 'test-key-1');
  const otherKey = await generateTestKey('ES256', 'test-key-unpublished');
  const published: TestKey[] = [key];
  const introspectionClient = { clientId: 'resource-server', clientSecret: 's3cret: with+reserved/chars' };
  const introspectionAnswers = new Map<string, Record<string, unknown>>();
  const introspectionRequests: RecordedIntrospection[] = [];
  let introspectionFailure: { status: number; body: string } | undefined;
  let jwksFailure: number | undefined;
  let requestCount = 0;

  /** RFC 6749 §2.3.1: base64 of form-urlencoded `id:secret`; decoded here, not compared as bytes. */
  function isIntrospectionClient(authorization: string | undefined): boolean {
    const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(authorization ?? '');
    if (match === null) return false;
    const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));
    return (
      formDecode(decoded.slice(0, colon)) === introspectionClient.clientId &&
      formDecode(decoded.slice(colon + 1)) === introspectionClient.clientSecret
    );
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const send = (status: number, body: string, type = 'application/json') => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(body);
    };
    if (request.method === 'GET' && path === '/jwks.json') {
      requestCount += 1;
      if (jwksFailure !== undefined) return send(jwksFailure, '{"error":"unavailable"}');
      return send(200, JSON.stringify({ keys: published.map((k) => k.publicJwk) }));
    }
    if (request.method === 'POST' && path === '/introspect') {
      const body = await readBody(request);
      const params = new URLSearchParams(body);
      introspectionRequests.push({
        authorization: request.headers.authorization,
        contentType: request.headers['content-type'],
        params,
      });
      if (introspectionFailure !== undefined) {
        return send(introspectionFailure.status, introspectionFailure.body);
      }
      if (!isIntrospectionClient(request.headers.authorization))
        return send(401, '{"error":"invalid_client"}');
      const answer = introspectionAnswers.get(params.get('token') ?? '') ?? { active: false };
      return send(200, JSON.stringify(answer));
    }
    send(404, '{"error":"not_found"}');
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const audience = options.audience ?? `${issuer}/mcp`;

  function defaultClaims(overrides?: TestAccessTokenClaims, now = Math.floor(Date.now() / 1000)) {
    return applyClaims(
      {
        iss: issuer,
        aud: audience,
        sub: 'user-1',
        client_id: 'client-1',
        scope: 'mcp:tools mcp:resources',
        iat: now,
        exp: now + 300,
        jti: randomUUID(),
      },
      overrides,
    );
  }

  return {
    issuer,
    jwksUri: `${issuer}/jwks.json`,
    introspectionEndpoint: `${issuer}/introspect`,
    audience,
    introspectionClient,
    key,
    otherKey,
    get requestCount() {
      return requestCount;
    },
    introspectionRequests,
    jwks: () => ({ keys: published.map((k) => ({ ...k.publicJwk })) }),
    publishKey(extra) {
      if (!published.includes(extra)) published.push(extra);
    },
    failJwks(status) {
      jwksFailure = status;
    },
    async mintAccessToken(claims, mint = {}) {
      const now = mint.now ?? Math.floor(Date.now() / 1000);
      const signingKey = mint.key ?? key;
      const timing: TestAccessTokenClaims = { exp: now + (mint.expiresIn ?? 300) };
      if (mint.notBefore !== undefined) timing.nbf = now + mint.notBefore;
      const payload = applyClaims(defaultClaims(timing, now), claims);
      const header: Record<string, unknown> = { alg: mint.alg ?? signingKey.alg };
      const kid = mint.kid === undefined ? signingKey.kid : mint.kid;
      if (kid !== null) header.kid = kid;
      const typ = mint.typ === undefined ? 'at+jwt' : mint.typ;
      if (typ !== null) header.typ = typ;
      Object.assign(header, mint.header);
      // jose refuses to sign an unrecognised `crit` unless told it is understood.
      const crit = Array.isArray(header.crit) ? header.crit.map((name) => [String(name), true] as const) : [];
      return new SignJWT(payload)
        .setProtectedHeader(header as { alg: string })
        .sign(signingKey.privateKey, { crit: Object.fromEntries(crit) });
    },
    mintUnsignedToken(claims) {
      const header = { alg: 'none', typ: 'at+jwt', kid: key.kid };
      return `${base64urlJson(header)}.${base64urlJson(defaultClaims(claims))}.`;
    },
    async mintHs256WithPublicKey(claims, secretForm = 'pem') {
      const secret = secretForm === 'pem' ? await exportSPKI(key.publicKey) : JSON.stringify(key.publicJwk);
      return new SignJWT(defaultClaims(claims))
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: key.kid })
        .sign(new TextEncoder().encode(secret));
    },
    tamper(token, changes = { scope: 'admin', sub: 'admin' }) {
      const [header, payload, signature] = token.split('.');
      if (header === undefined || payload === undefined || signature === undefined) {
        throw new TypeError('tamper() needs a compact JWS');
      }
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
        string,
        unknown
      >;
      return `${header}.${base64urlJson(applyClaims(claims, changes))}.${signature}`;
    },
    setIntrospection(token, answer) {
      if (answer === undefined) introspectionAnswers.delete(token);
      else introspectionAnswers.set(token, answer);
    },
    failIntrospection(failure) {
      introspectionFailure = failure;
    },
    defaultClaims: (overrides) => defaultClaims(overrides),
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

/**
 * Starts a test issuer before the tests of the enclosing file or `describe` block (`beforeAll`) and
 * closes it after them (`afterAll`). The returned object stands for that issuer: use it only inside
 * tests and hooks that run after the start (reading it earlier throws).
 *
 * @example
 * const issuer = useTestIssuer({ audience: 'http://127.0.0.1:8080/mcp' });
 * it('verifies', async () => {
 *   const token = await issuer.mintAccessToken();
 * });
 */
export function useTestIssuer(options: StartTestIssuerOptions = {}): TestIssuer {
  let started: TestIssuer | undefined;
  beforeAll(async () => {
    started = await startTestIssuer(options);
  });
  afterAll(async () => {
    await started?.close();
  });
  return new Proxy({} as TestIssuer, {
    get(_target, property) {
      if (started === undefined) throw new Error('the test issuer is used before its beforeAll hook ran');
      const value: unknown = Reflect.get(started, property);
      return typeof value === 'function' ? value.bind(started) : value;
    },
  });
}
