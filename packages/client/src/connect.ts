/**
 * `@gatehouse/client/connect`: a connected MCP SDK v2 `Client` for a protected server in one call
 * (issue 4 item 1). A subpath of its own so that `@modelcontextprotocol/client` stays an optional
 * peer dependency: importing `@gatehouse/client` never loads the SDK.
 */
import { invalidArgument } from '@gatehouse/core';
import {
  Client,
  type ClientOptions,
  type Implementation,
  StreamableHTTPClientTransport,
  type StreamableHTTPClientTransportOptions,
} from '@modelcontextprotocol/client';
import { type AuthFetchOptions, authFetch } from './session/auth-fetch.js';

/** Options of {@link connect}: those of `authFetch` (but `serverUrl`), plus the SDK's. */
export interface ConnectOptions extends Omit<AuthFetchOptions, 'serverUrl'> {
  /** The name and version sent in `initialize`. Default `{ name: 'gatehouse-client', version: '0.1.0' }`. */
  readonly clientInfo?: Implementation;
  /** Passed to the SDK `Client` constructor (capabilities, …). Default: none. */
  readonly clientOptions?: ClientOptions;
  /**
   * Passed to the SDK `StreamableHTTPClientTransport`, except `fetch` and `authProvider`, which
   * `connect` owns (authorization is `authFetch`'s job). Default: none.
   */
  readonly transportOptions?: Omit<StreamableHTTPClientTransportOptions, 'fetch' | 'authProvider'>;
}

const DEFAULT_CLIENT_INFO: Implementation = { name: 'gatehouse-client', version: '0.1.0' };

/**
 * Connects an SDK v2 `Client` to the MCP server at `url` over Streamable HTTP, with
 * {@link authFetch} as the transport's `fetch`: the stored token is used (renewed before it
 * expires), and a 401 during `initialize` or later runs the authorization flow (browser, headless,
 * the device grant on a machine without a browser (`flow`), or the `authorization.onAuthorizationUrl`
 * hook) and retries. Resolves once `initialize` succeeded;
 * close the client with `client.close()`.
 *
 * Rejects with the errors of `authFetch` (e.g. `AuthorizationDenied`, `AuthorizationRejectedError`)
 * and of the SDK; misuse (`transportOptions.fetch` or `.authProvider`) is a `TypeError`. Does NOT
 * reconnect after the server ends the session.
 *
 * @example
 * import { createFileStore } from '@gatehouse/client';
 * import { connect } from '@gatehouse/client/connect';
 * const client = await connect('https://mcp.example.com/mcp', { store: createFileStore() });
 * const { tools } = await client.listTools();
 * await client.close();
 */
export async function connect(url: string | URL, options: ConnectOptions = {}): Promise<Client> {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('the options of connect() must be an object', 'ERR_INVALID_ARG_TYPE');
  }
  const { clientInfo = DEFAULT_CLIENT_INFO, clientOptions, transportOptions = {}, ...auth } = options;
  if ('fetch' in transportOptions || 'authProvider' in transportOptions) {
    throw invalidArgument(
      '"transportOptions.fetch" and "transportOptions.authProvider" are set by connect(); pass "fetch" at the top level for the underlying transport fetch',
    );
  }
  const serverUrl = new URL(String(url));
  const fetch = authFetch({ ...auth, serverUrl });
  const client = new Client(clientInfo, clientOptions);
  await client.connect(new StreamableHTTPClientTransport(serverUrl, { ...transportOptions, fetch }));
  return client;
}
