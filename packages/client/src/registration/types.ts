/**
 * The client registration record and the store that keeps it per authorization server (MCP
 * 2026-07-28 § Authorization Server Binding: credentials are keyed by the AS `issuer`).
 */

/** How a client obtained its `client_id` (MCP 2025-11-25 § Client Registration Approaches, in priority order). */
export type RegistrationMethod = 'pre-registered' | 'client-id-metadata-document' | 'dynamic';

/**
 * A client identity at one authorization server. Holds secrets (`clientSecret`,
 * `registrationAccessToken`): keep it in a protected store and never log it.
 */
export interface ClientRegistration {
  /** The authorization server's issuer identifier this registration is bound to. */
  readonly issuer: string;
  readonly method: RegistrationMethod;
  readonly clientId: string;
  /** For a confidential client only. Secret. */
  readonly clientSecret?: string;
  /**
   * The token endpoint authentication method: `none` for public clients (dynamic and CIMD
   * registrations made here). `undefined` for pre-registered clients: chosen later from the
   * authorization server's `token_endpoint_auth_methods_supported`.
   */
  readonly tokenEndpointAuthMethod?: string;
  /** The redirect URIs this registration allows (for pre-registered and CIMD clients: the ones asked for). */
  readonly redirectUris: readonly string[];
  /**
   * The grant types the authorization server registered (RFC 7591 §2 `grant_types`, as answered,
   * else as asked for) for a dynamic registration; `undefined` when unknown (pre-registered and CIMD
   * clients, and registrations stored before this field existed).
   */
  readonly grantTypes?: readonly string[];
  /** RFC 7591 §3.2.1, seconds since the epoch; `0` means the secret never expires. */
  readonly clientSecretExpiresAt?: number;
  /** RFC 7592 §3 management credentials. Secret. */
  readonly registrationAccessToken?: string;
  readonly registrationClientUri?: string;
}

/**
 * Where dynamic registrations are kept between runs, keyed by issuer. Either method may return a
 * value or a promise. Pre-registered and CIMD identities are never written here (they are
 * configuration, not state).
 */
export interface ClientRegistrationStore {
  get(issuer: string): ClientRegistration | undefined | Promise<ClientRegistration | undefined>;
  set(issuer: string, registration: ClientRegistration): void | Promise<void>;
}

/** A client registered out of band with the authorization server's operator (MCP § Preregistration). */
export interface PreRegisteredClient {
  readonly clientId: string;
  /** For a confidential client. Secret. */
  readonly clientSecret?: string;
  /**
   * The issuer these credentials belong to. When given and the discovered authorization server is a
   * different one, resolution fails instead of sending the credentials elsewhere (MCP 2026-07-28
   * § Authorization Server Binding). Default: none (used with whatever server is discovered).
   */
  readonly issuer?: string;
}
