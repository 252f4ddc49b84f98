/**
 * Test support: a small authorization server + MCP endpoint on 127.0.0.1 (port 0) for `authFetch`
 * tests that need full control over the peer (opaque tokens, counted grants, optional DPoP with
 * nonces). Not a conformance reference: it checks just what the tests assert on.
 *
 * Routes: PRM at `/.well-known/oauth-protected-resource/mcp`, AS metadata at
 * `/.well-known/oauth-authorization-server`, `/token` (authorization_code, refresh_token) and
 * `POST /mcp` (200 `{ ok: true }` to a valid token, else 401 with a challenge).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, type JWK, jwtVerify } from 'jose';

export interface OAuthFixtureOptions {
  /** Seconds of each access token. Default 3600. */
  readonly expiresIn?: number;
  /** Advertise CIMD support. Default false. */
  readonly cimd?: boolean;
  /** DPoP (RFC 9449): advertised by the AS, required by the resource; optionally with nonces. */
  readonly dpop?: { readonly requireNonce?: boolean };
}

/** One token endpoint request, as the fixture saw it. */
export interface SeenGrant {
  readonly grantType: string;
  readonly clientId: string | undefined;
  /** The thumbprint of the DPoP proof's key, when a valid proof came with the request. */
  readonly jkt: string | undefined;
}

export interface OAuthFixture {
  readonly url: string;
  readonly mcpUrl: string;
  readonly grants: SeenGrant[];
  /** The status of every answer of `/mcp`, in order, with the Authorization scheme used. */
  readonly mcp: { status: number; scheme: string | undefined }[];
  /** Proof `jti`s seen at `/mcp`. */
  readonly jtis: string[];
  close(): Promise<void>;
}

const AS_NONCE = 'fixture-as-nonce';
const RS_NONCE = 'fixture-rs-nonce';

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

function basicClientId(header: string | undefined): string | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  return decodeURIComponent(decoded.slice(0, decoded.indexOf(':')));
}

interface ProofCheck {
  readonly method: string;
  readonly url: string;
  readonly accessToken?: string;
}

/** A DPoP proof's key thumbprint and claims when it is valid for `check`, else `undefined`. */
async function checkProof(proof: string | undefined, check: ProofCheck) {
  if (proof === undefined || proof.includes(',')) return undefined;
  try {
    const header = decodeProtectedHeader(proof);
    if (header.typ !== 'dpop+jwt' || header.alg !== 'ES256' || header.jwk === undefined) return undefined;
    const jwk = header.jwk as JWK;
    if (jwk.d !== undefined) return undefined;
    const { payload } = await jwtVerify(proof, await importJWK(jwk, 'ES256'), { algorithms: ['ES256'] });
    if (payload.htm !== check.method || payload.htu !== check.url || typeof payload.jti !== 'string') {
      return undefined;
    }
    if (typeof payload.iat !== 'number' || Math.abs(payload.iat - Date.now() / 1000) > 60) return undefined;
    if (check.accessToken !== undefined) {
      const ath = createHash('sha256').update(check.accessToken).digest('base64url');
      if (payload.ath !== ath) return undefined;
    }
    return { jkt: await calculateJwkThumbprint(jwk), jti: payload.jti, nonce: payload.nonce };
  } catch {
    return undefined;
  }
}

export async function startOAuthFixture(options: OAuthFixtureOptions = {}): Promise<OAuthFixture> {
  const grants: SeenGrant[] = [];
  const mcp: OAuthFixture['mcp'] = [];
  const jtis: string[] = [];
  /** access token → { expiresAt, jkt } */
  const accessTokens = new Map<string, { expiresAt: number; jkt: string | undefined }>();
  /** refresh token → jkt of the grant (undefined: not bound) */
  const refreshTokens = new Map<string, string | undefined>();
  const dpop = options.dpop;
  let base = '';

  function issue(jkt: string | undefined) {
    const access = `access-${randomUUID()}`;
    const refresh = `refresh-${randomUUID()}`;
    const expiresIn = options.expiresIn ?? 3600;
    accessTokens.set(access, { expiresAt: Date.now() / 1000 + expiresIn, jkt });
    refreshTokens.set(refresh, jkt);
    return {
      access_token: access,
      token_type: jkt === undefined ? 'Bearer' : 'DPoP',
      expires_in: expiresIn,
      refresh_token: refresh,
    };
  }

  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', base);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/oauth-protected-resource/mcp') {
      return json(200, {
        resource: `${base}/mcp`,
        authorization_servers: [base],
        ...(dpop === undefined
          ? {}
          : { dpop_signing_alg_values_supported: ['ES256'], dpop_bound_access_tokens_required: true }),
      });
    }
    if (url.pathname === '/.well-known/oauth-authorization-server') {
      return json(200, {
        issuer: base,
        authorization_endpoint: `${base}/authorize`,
        token_endpoint: `${base}/token`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'none'],
        authorization_response_iss_parameter_supported: true,
        ...(options.cimd ? { client_id_metadata_document_supported: true } : {}),
        ...(dpop === undefined ? {} : { dpop_signing_alg_values_supported: ['ES256'] }),
      });
    }
    if (url.pathname === '/token' && request.method === 'POST') {
      const form = new URLSearchParams(await readBody(request));
      const grantType = form.get('grant_type') ?? '';
      const clientId = basicClientId(request.headers.authorization) ?? form.get('client_id') ?? undefined;
      const proofHeader = request.headers.dpop;
      const proof = await checkProof(typeof proofHeader === 'string' ? proofHeader : undefined, {
        method: 'POST',
        url: `${base}/token`,
      });
      grants.push({ grantType, clientId, jkt: proof?.jkt });
      if (dpop !== undefined) {
        if (proof === undefined) return json(400, { error: 'invalid_dpop_proof' });
        if (dpop.requireNonce && proof.nonce !== AS_NONCE) {
          return json(400, { error: 'use_dpop_nonce' }, { 'dpop-nonce': AS_NONCE });
        }
      }
      if (grantType === 'authorization_code') return json(200, issue(proof?.jkt));
      if (grantType === 'refresh_token') {
        const old = form.get('refresh_token') ?? '';
        if (!refreshTokens.has(old) || refreshTokens.get(old) !== proof?.jkt) {
          return json(400, { error: 'invalid_grant' });
        }
        refreshTokens.delete(old);
        return json(200, issue(proof?.jkt));
      }
      return json(400, { error: 'unsupported_grant_type' });
    }
    if (url.pathname === '/mcp' && request.method === 'POST') {
      await readBody(request);
      const authorization = request.headers.authorization ?? '';
      const [scheme, token = ''] = authorization.split(' ');
      const metadata = `resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`;
      const refuse = (extra = '', headers: Record<string, string> = {}) => {
        mcp.push({ status: 401, scheme: scheme || undefined });
        const challenge =
          dpop === undefined ? `Bearer ${metadata}${extra}` : `DPoP algs="ES256", ${metadata}${extra}`;
        return json(401, { error: 'unauthorized' }, { 'www-authenticate': challenge, ...headers });
      };
      const held = accessTokens.get(token);
      if (held === undefined || held.expiresAt <= Date.now() / 1000) return refuse();
      if (held.jkt === undefined) {
        if (scheme !== 'Bearer') return refuse();
      } else {
        const proofHeader = request.headers.dpop;
        const proof = await checkProof(typeof proofHeader === 'string' ? proofHeader : undefined, {
          method: 'POST',
          url: `${base}/mcp`,
          accessToken: token,
        });
        if (scheme !== 'DPoP' || proof === undefined || proof.jkt !== held.jkt || jtis.includes(proof.jti)) {
          return refuse(', error="invalid_token"');
        }
        jtis.push(proof.jti);
        if (dpop?.requireNonce && proof.nonce !== RS_NONCE) {
          return refuse(', error="use_dpop_nonce"', { 'dpop-nonce': RS_NONCE });
        }
      }
      mcp.push({ status: 200, scheme });
      return json(200, { ok: true });
    }
    json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    mcpUrl: `${base}/mcp`,
    grants,
    mcp,
    jtis,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The `authorization.onAuthorizationUrl` hook of a user who approves at once: the fixture has no
 * authorization endpoint, so the hook delivers a code (with `state` and `iss`) to the redirect URI.
 */
export function approveAtOnce(issuer: string) {
  return async (authorizationUrl: URL): Promise<void> => {
    const redirect = new URL(authorizationUrl.searchParams.get('redirect_uri') ?? '');
    redirect.searchParams.set('code', `code-${randomUUID()}`);
    redirect.searchParams.set('state', authorizationUrl.searchParams.get('state') ?? '');
    redirect.searchParams.set('iss', issuer);
    const page = await fetch(redirect);
    await page.arrayBuffer();
  };
}
