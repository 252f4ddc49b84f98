/**
 * node-oidc-provider's storage adapter over Gatehouse's {@link Storage} contract.
 *
 * The provider calls `new Adapter(modelName)` once per model (Session, AccessToken,
 * AuthorizationCode, RefreshToken, Client, Grant, Interaction, …) and then `upsert`, `find`,
 * `findByUid`, `findByUserCode`, `consume`, `destroy` and `revokeByGrantId` on it. Every call goes
 * straight to `storage.model(name)`; this file adds three behaviours of its own: the refresh token
 * reuse window (see {@link createStorageAdapter}), the refusal of a lost consume race (see
 * `consume`), and 503 `temporarily_unavailable` when the database is unreachable (see
 * `storage-errors.ts`).
 */
import { type Adapter, type AdapterConstructor, type AdapterPayload, errors } from 'oidc-provider';
import { epochSeconds, type ModelPayload, type ModelStore, type Storage } from '../storage/contract.js';
import { asProviderCall } from './storage-errors.js';
import { GRANT_TOKEN_MODELS } from './token-models.js';

/** Options of {@link createStorageAdapter}. */
export interface StorageAdapterOptions {
  /**
   * Seconds after a refresh token was rotated (consumed) during which presenting it again is
   * still accepted as if it were unused. `0` disables the window. Default 30.
   */
  refreshTokenReuseWindowSeconds?: number;
  /** Now, in epoch seconds. Default: the real clock. For tests. */
  now?: () => number;
}

const REFRESH_TOKEN_MODEL = 'RefreshToken';

/**
 * Single-use records, and the name oidc-provider gives them in its `invalid_grant` description.
 * When two requests redeem one of them at the same instant (two instances sharing a database, or
 * two requests at one), both pass the provider's `consumed` check before either consumes; the
 * store's atomic `consume` tells which one won, and the other is refused here.
 */
const SINGLE_USE_LABELS: Readonly<Record<string, string>> = {
  AuthorizationCode: 'authorization code',
  DeviceCode: 'device code',
  BackchannelAuthenticationRequest: 'backchannel authentication request',
  RefreshToken: 'refresh token',
};

/** The payload as the provider expects it (the contract's `ModelPayload` is deliberately opaque). */
function toProvider(payload: ModelPayload | undefined): AdapterPayload | undefined {
  return payload as AdapterPayload | undefined;
}

/**
 * Creates the `adapter` class of the provider configuration, backed by `storage`.
 *
 * Refresh token reuse window (OAuth 2.0 Security BCP, RFC 9700 §4.14.2, "refresh token rotation"):
 * oidc-provider marks a rotated refresh token `consumed`, and when a consumed refresh token is
 * presented again it destroys it and revokes the whole grant (every token issued under it). Two
 * requests that race with the same refresh token (two tabs, two processes of one CLI) would then
 * log the user out. So, for the `RefreshToken` model only:
 * - `find` hides `consumed` while it is less than `refreshTokenReuseWindowSeconds` old: the
 *   provider treats the token as unused and rotates it once more (each racing request gets its
 *   own new refresh token; all of them stay valid);
 * - `consume` keeps the first consumption time, so a token presented again and again cannot
 *   stretch its own window;
 * - after the window, `find` returns `consumed` and the provider's reuse detection revokes the
 *   grant as usual.
 *
 * The price, documented: a stolen refresh token replayed within the window after a legitimate
 * rotation is not detected as reuse. It does NOT check anything about the caller; the provider
 * still checks the client, expiry, grant and sender constraints.
 */
export function createStorageAdapter(
  storage: Storage,
  options: StorageAdapterOptions = {},
): AdapterConstructor {
  const window = options.refreshTokenReuseWindowSeconds ?? 30;
  const now = options.now ?? epochSeconds;

  return class GatehouseAdapter implements Adapter {
    readonly #name: string;
    readonly #store: ModelStore;

    constructor(name: string) {
      this.#name = name;
      this.#store = storage.model(name);
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      await asProviderCall(this.#store.upsert(id, payload as ModelPayload, expiresIn));
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const payload = await asProviderCall(this.#store.find(id));
      if (this.#name !== REFRESH_TOKEN_MODEL || payload?.consumed === undefined || window <= 0) {
        return toProvider(payload);
      }
      if (now() - payload.consumed >= window) return toProvider(payload);
      const { consumed: _hidden, ...unconsumed } = payload;
      return toProvider(unconsumed);
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return toProvider(await asProviderCall(this.#store.findByUid(uid)));
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return toProvider(await asProviderCall(this.#store.findByUserCode(userCode)));
    }

    /**
     * Consumes a code or token. The store keeps the first consumption time (storage contract), so
     * presenting a rotated refresh token again and again cannot stretch its reuse window.
     *
     * Lost race (RFC 6749 §4.1.2, RFC 9700 §4.14.2): when another request consumed the same
     * single-use record between the provider's check and this call, the record was redeemed twice;
     * this request is refused with `invalid_grant` and, as the provider does for a replay it
     * detects itself, every token of the grant is revoked and the grant destroyed. (A refresh token
     * inside its reuse window is the exception: racing refreshes are allowed, see above.) Tokens
     * the winning request writes after this revocation still name the destroyed grant, so they
     * cannot be refreshed; its access token, a self-contained JWT, lives until it expires.
     */
    async consume(id: string): Promise<void> {
      const first = await asProviderCall(this.#store.consume(id));
      const label = SINGLE_USE_LABELS[this.#name];
      if (first || label === undefined || (this.#name === REFRESH_TOKEN_MODEL && window > 0)) return;
      const grantId = (await asProviderCall(this.#store.find(id)))?.grantId;
      if (typeof grantId === 'string' && grantId !== '') {
        await asProviderCall(
          Promise.all([
            ...GRANT_TOKEN_MODELS.map((model) => storage.model(model).revokeByGrantId(grantId)),
            storage.model('Grant').destroy(grantId),
          ]),
        );
      }
      throw new errors.InvalidGrant(`${label} already consumed`);
    }

    async destroy(id: string): Promise<void> {
      await asProviderCall(this.#store.destroy(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await asProviderCall(this.#store.revokeByGrantId(grantId));
    }
  };
}
