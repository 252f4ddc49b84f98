/**
 * The conformance client: what it does for each scenario of `@modelcontextprotocol/conformance`
 * (0.1.16 `client --suite all`, and the client scenarios of 0.2.0-alpha.12). It is built only on the
 * public API of `@gatehouse/client` and the SDK v2 client (`@modelcontextprotocol/client`):
 *
 * | scenario | how the token is obtained |
 * | --- | --- |
 * | no authorization (`initialize`, `tools_call`, `sse-retry`, elicitation…) | `authFetch`, never challenged |
 * | `auth/*` with a user (metadata, CIMD, scopes, step-up, auth methods, pre-registration, legacy…) | `authFetch`: 401 → discovery → registration → authorization code + PKCE |
 * | `auth/client-credentials-*` | `discover` + `clientCredentialsGrantRequest` (secret or `private_key_jwt`) |
 * | cross-app access / enterprise-managed authorization (context has `idp_id_token`) | `discover` + `authorizeWithIdJag` |
 * | workload identity federation (context has `valid_jwt`) | `discover` + `jwtBearerGrantRequest` |
 *
 * The suite's authorization servers approve every request at once: the authorization step is driven
 * through the `onAuthorizationUrl` hook with a plain `fetch` that follows the redirect to the
 * loopback listener of `authorizeWithBrowser`, so no browser is started. Then the MCP part: connect
 * with the SDK's Streamable HTTP transport (its `fetch` is ours), list the tools when the server has
 * any, and call each one with arguments made from its input schema (or make the calls the scenario's
 * context prescribes). Elicitation requests are
 * accepted with empty content and the SDK fills in the schema's defaults (`applyDefaults`).
 */
import {
  authFetch,
  authorizeWithIdJag,
  clientCredentialsGrantRequest,
  createMemoryStore,
  discover,
  type FetchLike,
  jwtBearerGrantRequest,
  type PreRegisteredClient,
  processTokenResponse,
  type TokenEndpointClient,
} from '@gatehouse/client';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

/** The Client ID Metadata Document URL the suite's CIMD scenario expects as `client_id`. */
export const CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';

/**
 * Every server of the suite listens on loopback over plain http. The suite starts every scenario at
 * once, so on a busy machine an answer can take longer than `safeFetch`'s default 5 s.
 */
const policy = { allowLoopback: true, timeoutMs: 30_000 };

/** Where progress notes go: the authorization URL, never a token. */
export interface TextWriter {
  write(text: string): unknown;
}

/** What {@link runConformanceClient} is given by the suite. */
export interface ConformanceRun {
  readonly serverUrl: string;
  readonly scenario: string;
  /** `MCP_CONFORMANCE_CONTEXT`: JSON, absent for most scenarios. */
  readonly context: string | undefined;
  readonly stderr: TextWriter;
}

/** The fields of `MCP_CONFORMANCE_CONTEXT` the client uses; all optional strings. */
interface ScenarioContext {
  readonly client_id?: string;
  readonly client_secret?: string;
  readonly private_key_pem?: string;
  readonly signing_algorithm?: string;
  readonly idp_client_id?: string;
  readonly idp_client_secret?: string;
  readonly idp_id_token?: string;
  readonly idp_issuer?: string;
  readonly idp_token_endpoint?: string;
  /** Workload identity federation: the workload's JWT, presented with the jwt-bearer grant. */
  readonly valid_jwt?: string;
  /** The exact tool calls some scenarios ask for (e.g. `http-custom-headers`), instead of one per tool. */
  readonly toolCalls?: readonly ToolCall[];
}

/** A tool call the scenario prescribes. */
interface ToolCall {
  readonly name: string;
  readonly arguments: Record<string, unknown>;
}

function isToolCall(value: unknown): value is ToolCall {
  const call = value as Partial<ToolCall> | null;
  return typeof call?.name === 'string' && typeof call.arguments === 'object' && call.arguments !== null;
}

/** Parses the context: its string fields, and `toolCalls` when well formed (the rest is the suite's). */
export function parseContext(text: string | undefined): ScenarioContext {
  if (text === undefined || text === '') return {};
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null)
    throw new TypeError('MCP_CONFORMANCE_CONTEXT is not an object');
  const strings = Object.entries(parsed).filter(([, value]) => typeof value === 'string');
  const { toolCalls } = parsed as { toolCalls?: unknown };
  const calls = Array.isArray(toolCalls) && toolCalls.every(isToolCall) ? { toolCalls } : {};
  return { ...Object.fromEntries(strings), ...calls };
}

/** A transport fetch that sends a fixed Bearer token, to the MCP server's origin only. */
function withBearer(serverUrl: string, accessToken: string): FetchLike {
  const origin = new URL(serverUrl).origin;
  return (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (new URL(url).origin !== origin) return fetch(input, init);
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    headers.set('authorization', `Bearer ${accessToken}`);
    return fetch(input, { ...init, headers });
  };
}

/** Completes an authorization the way a browser would: follow the redirects to the loopback listener. */
async function followAuthorizationUrl(url: URL): Promise<void> {
  const response = await fetch(url, { redirect: 'follow' });
  await response.body?.cancel();
}

/** Client credentials grant (MCP extension `io.modelcontextprotocol/oauth-client-credentials`). */
async function clientCredentialsFetch(serverUrl: string, context: ScenarioContext): Promise<FetchLike> {
  const { client_id: clientId, client_secret: clientSecret, private_key_pem: pem } = context;
  if (clientId === undefined) throw new TypeError('the scenario context has no client_id');
  const alg = context.signing_algorithm === 'RS256' ? 'RS256' : 'ES256';
  const client: TokenEndpointClient =
    pem === undefined ? { clientId, clientSecret } : { clientId, privateKey: { pem, alg } };
  const discovery = await discover(serverUrl, { policy });
  const response = await clientCredentialsGrantRequest(
    discovery.authorizationServer.metadata,
    client,
    { resource: discovery.resource },
    { policy },
  );
  const tokens = await processTokenResponse(response, { expectedResource: discovery.resource });
  return withBearer(serverUrl, tokens.access_token);
}

/** Enterprise-managed authorization: ID token → ID-JAG at the identity provider → access token. */
async function idJagFetch(serverUrl: string, context: ScenarioContext): Promise<FetchLike> {
  const { client_id: clientId, idp_id_token: idToken, idp_issuer: issuer, idp_token_endpoint } = context;
  if (clientId === undefined || idToken === undefined || issuer === undefined) {
    throw new TypeError('the scenario context lacks client_id, idp_id_token or idp_issuer');
  }
  const discovery = await discover(serverUrl, { policy });
  const tokens = await authorizeWithIdJag({
    discovery,
    client: { clientId, clientSecret: context.client_secret },
    identityProvider: {
      metadata: { issuer, token_endpoint: idp_token_endpoint ?? `${issuer}/token` },
      client: { clientId: context.idp_client_id ?? clientId, clientSecret: context.idp_client_secret },
    },
    idToken,
    policy,
  });
  return withBearer(serverUrl, tokens.access_token);
}

/** Workload identity federation (MCP extension `io.modelcontextprotocol/auth/wif`): the workload JWT as grant. */
async function workloadFetch(serverUrl: string, context: ScenarioContext): Promise<FetchLike> {
  const { client_id: clientId, valid_jwt: assertion } = context;
  if (clientId === undefined || assertion === undefined) {
    throw new TypeError('the scenario context lacks client_id or valid_jwt');
  }
  const discovery = await discover(serverUrl, { policy });
  const response = await jwtBearerGrantRequest(
    discovery.authorizationServer.metadata,
    { clientId, clientSecret: context.client_secret },
    { assertion, resource: discovery.resource },
    { policy },
  );
  const tokens = await processTokenResponse(response, { expectedResource: discovery.resource });
  return withBearer(serverUrl, tokens.access_token);
}

/** The interactive flow, driven without a browser. Pre-registered credentials come from the context. */
function interactiveFetch(serverUrl: string, context: ScenarioContext, stderr: TextWriter): FetchLike {
  const preRegistered: PreRegisteredClient | undefined =
    context.client_id === undefined
      ? undefined
      : {
          clientId: context.client_id,
          ...(context.client_secret === undefined ? {} : { clientSecret: context.client_secret }),
        };
  return authFetch({
    serverUrl,
    store: createMemoryStore(),
    clientName: 'Gatehouse conformance client',
    clientMetadataUrl: CLIENT_METADATA_URL,
    ...(preRegistered === undefined ? {} : { preRegistered }),
    policy,
    authorization: { stderr, onAuthorizationUrl: followAuthorizationUrl },
  });
}

/** The transport fetch for a scenario, per the table in the module comment. */
async function transportFetch(run: ConformanceRun, context: ScenarioContext): Promise<FetchLike> {
  if (context.idp_id_token !== undefined) return idJagFetch(run.serverUrl, context);
  if (context.valid_jwt !== undefined) return workloadFetch(run.serverUrl, context);
  if (run.scenario.startsWith('auth/client-credentials'))
    return clientCredentialsFetch(run.serverUrl, context);
  return interactiveFetch(run.serverUrl, context, run.stderr);
}

/** The echo tool of `json-schema-2020-12-preservation`: it takes another tool's input schema back. */
const SCHEMA_ECHO_TOOL = 'json_schema_echo';

interface ListedTool {
  readonly name: string;
  readonly inputSchema: { readonly properties?: Record<string, unknown> };
}

/**
 * Arguments for a tool from its input schema: a number, string or boolean per declared property;
 * for the schema echo tool, the input schema of the other tool, exactly as the client received it.
 */
function argumentsFor(tool: ListedTool, tools: readonly ListedTool[]): Record<string, unknown> {
  if (tool.name === SCHEMA_ECHO_TOOL) {
    const other = tools.find((candidate) => candidate.name !== SCHEMA_ECHO_TOOL);
    return { schema: other?.inputSchema ?? {} };
  }
  const values: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(tool.inputSchema.properties ?? {})) {
    const type = (property as { type?: unknown } | null)?.type;
    values[name] = type === 'number' || type === 'integer' ? 2 : type === 'boolean' ? true : 'conformance';
  }
  return values;
}

/**
 * Runs one scenario against `run.serverUrl`: obtains the transport fetch, connects, lists and calls
 * the server's tools, and closes. Rejects with the first error (an OAuth or MCP failure).
 */
export async function runConformanceClient(run: ConformanceRun): Promise<void> {
  const context = parseContext(run.context);
  const fetchWithAuthorization = await transportFetch(run, context);
  const client = new Client(
    { name: 'gatehouse-conformance-client', version: '0.1.0' },
    {
      capabilities: { elicitation: { form: { applyDefaults: true } } },
      versionNegotiation: { mode: 'auto' },
    },
  );
  client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: {} }));
  const transport = new StreamableHTTPClientTransport(new URL(run.serverUrl), {
    fetch: fetchWithAuthorization,
  });
  await client.connect(transport);
  try {
    if (client.getServerCapabilities()?.tools !== undefined) {
      const { tools } = await client.listTools();
      const calls =
        context.toolCalls ?? tools.map((tool) => ({ name: tool.name, arguments: argumentsFor(tool, tools) }));
      for (const call of calls) await client.callTool(call);
    }
  } finally {
    await client.close();
  }
}
