/**
 * node-oidc-provider's storage adapter over Gatehouse's {@link Storage} contract.
 *
 * The provider calls `new Adapter(modelName)` once per model (Session, AccessToken,
 * AuthorizationCode, RefreshToken, Client, Grant, Interaction, …) and then `upsert`, `find`,
 * `findByUid`, `findByUserCode`, `consume`, `destroy` and `revokeByGrantId` on it. Every call goes
 * straight to `storage.model(name)`; this file adds one behaviour of its own: the refresh token
 * reuse window (see {@link createStorageAdapter}).
 */
import type { Adapter, AdapterConstructor, AdapterPayload } from 'oidc-provider';
import type { ModelPayload, ModelStore, Storage } from '../storage/contract.js';

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

function epochNow(): number {
  return Math.floor(Date.now() / 1000);
}

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
  const now = options.now ?? epochNow;

  return class GatehouseAdapter implements Adapter {
    readonly #name: string;
    readonly #store: ModelStore;

    constructor(name: string) {
      this.#name = name;
      this.#store = storage.model(name);
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      await this.#store.upsert(id, payload as ModelPayload, expiresIn);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const payload = await this.#store.find(id);
      if (this.#name !== REFRESH_TOKEN_MODEL || payload?.consumed === undefined || window <= 0) {
        return toProvider(payload);
      }
      if (now() - payload.consumed >= window) return toProvider(payload);
      const { consumed: _hidden, ...unconsumed } = payload;
      return toProvider(unconsumed);
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return toProvider(await this.#store.findByUid(uid));
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return toProvider(await this.#store.findByUserCode(userCode));
    }

    async consume(id: string): Promise<void> {
      // The store keeps the first consumption time (storage contract), so presenting a rotated
      // refresh token again and again cannot stretch its reuse window.
      await this.#store.consume(id);
    }

    async destroy(id: string): Promise<void> {
      await this.#store.destroy(id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await this.#store.revokeByGrantId(grantId);
    }
  };
}
