/**
 * The bridge from a {@link TokenStore} to the `ClientRegistrationStore` that
 * `resolveClientRegistration` takes (MCP 2026-07-28 § Authorization Server Binding: registrations
 * are kept per issuer).
 */
import type { ClientRegistrationStore } from '../registration/types.js';
import type { TokenStore } from './types.js';

/**
 * A `ClientRegistrationStore` backed by `store`'s `getClient` / `setClient`.
 *
 * @example
 * const store = createFileStore();
 * await resolveClientRegistration({ metadata, redirectUris, clientName, store: clientRegistrationStore(store) });
 */
export function clientRegistrationStore(store: TokenStore): ClientRegistrationStore {
  return {
    get: (issuer) => store.getClient(issuer),
    set: (issuer, registration) => store.setClient(issuer, registration),
  };
}
