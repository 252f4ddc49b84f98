/**
 * The device authorization grant (RFC 8628) on oidc-provider: for MCP clients on machines with no
 * browser (SSH sessions, containers, WSL). The device asks `POST ${issuer}/device/auth` for a
 * device code and a user code, shows the user code and `${issuer}/device`, and polls the token
 * endpoint with `grant_type=urn:ietf:params:oauth:grant-type:device_code`; the user opens that URL
 * on any other device, types the code, signs in and consents on the usual interaction pages.
 *
 * | concern | setting |
 * | --- | --- |
 * | who may use it | clients whose registered `grant_types` list the device code grant (the provider refuses the others) |
 * | user code | `base-20` letters (no vowels, no look-alike characters), mask `****-****`: 20⁸ ≈ 2.6·10¹⁰ codes (RFC 8628 §6.1) |
 * | lifetime | `ttl.deviceCodeSeconds`, default 600 (10 minutes) |
 * | polling | `interval: 5` in the device authorization response; a poll sooner than that gets `slow_down` and 5 more seconds (device-polling.ts) |
 * | expiry | an expired device code answers `expired_token`, not `invalid_grant`: it is kept in storage {@link EXPIRED_DEVICE_CODE_GRACE_SECONDS} past its expiry |
 * | code guessing | POSTs to the verification URI are rate-limited per remote address (RFC 8628 §5.1) |
 * | pages | Gatehouse's own, with its security headers (../interactions/device-pages.ts) |
 * | verification_uri_complete | shows the code in the entry form for the user to check, instead of the provider's self-submitting page (no script) |
 */

import type Provider from 'oidc-provider';
import type {
  Adapter,
  AdapterConstructor,
  AdapterPayload,
  Configuration,
  KoaContextWithOIDC,
} from 'oidc-provider';
import {
  PREFILLED_USER_CODE,
  sendTooManyUserCodeAttempts,
  sendVerificationSessionLost,
  successSource,
  userCodeConfirmSource,
  userCodeInputSource,
} from '../interactions/device-pages.js';
import { createPollingTracker, type PollingOptions, type PollingTracker } from './device-polling.js';
import { createRateLimiter, type RateLimiter } from './registration-rate-limit.js';

/** The grant type of RFC 8628 §3.4, as clients list it in `grant_types`. */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * Seconds an expired device code stays in storage, so that a device still polling learns
 * `expired_token` (RFC 8628 §3.5) rather than `invalid_grant`, and the entry page says the code
 * expired rather than that it is unknown. An expired code can never be approved or redeemed.
 */
export const EXPIRED_DEVICE_CODE_GRACE_SECONDS = 600;

/** Longest `User-Agent` kept with a device code (it is shown on the confirmation page). */
const MAX_USER_AGENT = 256;

/** Verification URI attempts (POSTs) allowed per remote address: a burst, then per minute. */
export const USER_CODE_ATTEMPTS = Object.freeze({ burst: 30, perMinute: 10 });

/**
 * `features.deviceFlow` of the provider configuration (see the table above). It does NOT install
 * the polling rule or the attempt limit: {@link installDeviceFlow} does, on the provider.
 */
export function deviceFlowFeature(): NonNullable<NonNullable<Configuration['features']>['deviceFlow']> {
  return {
    enabled: true,
    charset: 'base-20',
    mask: '****-****',
    deviceInfo: (ctx: KoaContextWithOIDC) => ({
      ip: ctx.ip,
      ua: ctx.get('user-agent').slice(0, MAX_USER_AGENT),
    }),
    userCodeInputSource,
    userCodeConfirmSource,
    successSource,
  };
}

/**
 * Wraps the storage adapter so that `DeviceCode` rows outlive the code's own expiry by
 * `graceSeconds` (see {@link EXPIRED_DEVICE_CODE_GRACE_SECONDS}); every other model is untouched.
 * The provider still checks the expiry written inside the payload.
 */
export function withExpiredDeviceCodes(
  adapter: AdapterConstructor,
  graceSeconds = EXPIRED_DEVICE_CODE_GRACE_SECONDS,
): AdapterConstructor {
  return class DeviceCodeGraceAdapter extends adapter implements Adapter {
    readonly #deviceCode: boolean;

    constructor(name: string) {
      super(name);
      this.#deviceCode = name === 'DeviceCode';
    }

    override upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      if (!this.#deviceCode || expiresIn === undefined) return super.upsert(id, payload, expiresIn);
      return super.upsert(id, payload, Math.max(expiresIn, 0) + graceSeconds);
    }
  };
}

/** Options of {@link installDeviceFlow}. */
export interface DeviceFlowOptions {
  /** The polling rule's settings, or a tracker of your own (tests). Defaults: device-polling.ts. */
  polling?: PollingOptions | PollingTracker;
  /** The verification URI attempt limit, or `false` for none. Default `{ burst: 30, perMinute: 10 }`. */
  attempts?: RateLimiter | false;
}

function isTracker(value: PollingOptions | PollingTracker | undefined): value is PollingTracker {
  return typeof (value as PollingTracker | undefined)?.poll === 'function';
}

/**
 * oidc-provider 9.13 answers a verification form that arrived without a stored browser session
 * (no cookie, an unknown one, cookies blocked) by re-rendering the entry page and then failing to
 * save the session it created for it ("persist can only be called on previously persisted
 * Sessions"), which would end as a bare 500. Recognised here by its class and message only.
 */
function isUnsavedSessionError(error: unknown): boolean {
  return error instanceof TypeError && error.message.startsWith('persist can only be called');
}

function errorOf(body: unknown): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>).error : undefined;
}

/**
 * Adds to a provider whose configuration has {@link deviceFlowFeature}, as one Koa middleware
 * around its routes:
 * - `interval` in the device authorization response (RFC 8628 §3.2);
 * - `slow_down` instead of `authorization_pending` for a poll that comes too early (RFC 8628
 *   §3.5), with the interval growing by 5 seconds each time;
 * - a rate limit on POSTs to the verification URI per remote address (RFC 8628 §5.1), answered
 *   with a 429 page;
 * - `verification_uri_complete` (RFC 8628 §3.3.1) opening the entry page with the code filled in;
 * - a 400 page instead of a 500 for a verification form that came without its browser session
 *   (see {@link isUnsavedSessionError}).
 *
 * It does NOT look at `X-Forwarded-For` (the address is the provider's `ctx.ip`), and its counts
 * are per process.
 */
export function installDeviceFlow(provider: Provider, options: DeviceFlowOptions = {}): void {
  const tracker = isTracker(options.polling) ? options.polling : createPollingTracker(options.polling);
  const attempts = options.attempts === undefined ? createRateLimiter(USER_CODE_ATTEMPTS) : options.attempts;
  const verificationPath = provider.pathFor('code_verification', { mountPath: '' });

  provider.use(async (ctx, next) => {
    if (ctx.path === verificationPath) {
      const wait = ctx.method === 'POST' && attempts !== false ? attempts.take(ctx.ip) : 0;
      if (wait > 0) {
        sendTooManyUserCodeAttempts(ctx as unknown as KoaContextWithOIDC, wait);
        return;
      }
      if (ctx.method === 'GET' && ctx.query.user_code !== undefined) {
        const code = ctx.query.user_code;
        (ctx.state as Record<symbol, unknown>)[PREFILLED_USER_CODE] =
          typeof code === 'string' ? code : undefined;
        const query = new URLSearchParams(ctx.querystring);
        query.delete('user_code');
        ctx.querystring = query.toString();
      }
    }

    try {
      await next();
    } catch (error) {
      const ours = ctx.path === verificationPath || ctx.path.startsWith(`${verificationPath}/`);
      if (!(ours && isUnsavedSessionError(error))) throw error;
      sendVerificationSessionLost(ctx as unknown as KoaContextWithOIDC);
      return;
    }

    const oidc = (ctx as unknown as Partial<KoaContextWithOIDC>).oidc;
    if (oidc === undefined) return;
    if (oidc.route === 'device_authorization') {
      const body: unknown = ctx.body;
      if (ctx.status === 200 && typeof body === 'object' && body !== null && 'device_code' in body) {
        ctx.body = { ...body, interval: tracker.intervalSeconds };
      }
      return;
    }
    if (oidc.route !== 'token') return;
    const params = oidc.params ?? {};
    const deviceCode = params.device_code;
    if (params.grant_type !== DEVICE_CODE_GRANT_TYPE || typeof deviceCode !== 'string') return;
    const error = errorOf(ctx.body);
    if (ctx.status === 400 && error === 'authorization_pending') {
      const { slowDown, intervalSeconds } = tracker.poll(deviceCode);
      if (slowDown) {
        ctx.body = {
          error: 'slow_down',
          error_description: `polling too fast: wait ${intervalSeconds} seconds between requests`,
        };
      }
    } else if (ctx.status === 200 || error === 'access_denied' || error === 'expired_token') {
      tracker.forget(deviceCode);
    }
  });
}
