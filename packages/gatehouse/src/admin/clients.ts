/**
 * Registered OAuth clients (oidc-provider's `Client` model: RFC 7591 registrations) as the admin
 * commands see them. Secrets never leave this module: {@link publicClientMetadata} drops them.
 */
import { CLIENT_TOKEN_MODELS, type ModelPayload, type Storage } from '@gatehouse/authorization-server';
import { listGrants, revokeGrant } from './grants.js';

/** What `gatehouse clients list` shows of a client. */
export interface ClientSummary {
  readonly clientId: string;
  readonly name: string | undefined;
  /** `token_endpoint_auth_method` (`none` for a public client). */
  readonly authMethod: string;
  readonly redirectUris: readonly string[];
  /** `client_id_issued_at` (epoch seconds), if recorded. */
  readonly createdAt: number | undefined;
}

/**
 * Client metadata members that are credentials, never shown: the client secret and the RFC 7592
 * registration access token. Any other member whose name mentions a secret, token value or
 * password is dropped too, in case a future provider version stores one.
 */
const SECRET_MEMBER = /secret|password|^registration_access_token$/i;
const SHOWN_ANYWAY = new Set(['client_secret_expires_at']);

/** The client's metadata without credentials, plus `client_secret: '(set, not shown)'` when it has one. */
export function publicClientMetadata(payload: ModelPayload): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (SECRET_MEMBER.test(name) && !SHOWN_ANYWAY.has(name)) continue;
    shown[name] = value;
  }
  if (typeof payload.client_secret === 'string') shown.client_secret = '(set, not shown)';
  return shown;
}

function summarizeClient(id: string, payload: ModelPayload): ClientSummary {
  const redirectUris = Array.isArray(payload.redirect_uris)
    ? payload.redirect_uris.filter((uri): uri is string => typeof uri === 'string')
    : [];
  return {
    clientId: typeof payload.client_id === 'string' ? payload.client_id : id,
    name: typeof payload.client_name === 'string' ? payload.client_name : undefined,
    authMethod:
      typeof payload.token_endpoint_auth_method === 'string'
        ? payload.token_endpoint_auth_method
        : 'client_secret_basic',
    redirectUris,
    createdAt: typeof payload.client_id_issued_at === 'number' ? payload.client_id_issued_at : undefined,
  };
}

/** Every registered client, oldest first. */
export async function listClients(storage: Storage): Promise<ClientSummary[]> {
  const records = await storage.model('Client').list();
  return records
    .map((record) => summarizeClient(record.id, record.payload))
    .sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0) || (a.clientId < b.clientId ? -1 : 1));
}

/** A client's stored metadata, or undefined. Contains secrets: pass it through {@link publicClientMetadata}. */
export async function findClient(storage: Storage, clientId: string): Promise<ModelPayload | undefined> {
  return storage.model('Client').find(clientId);
}

/** What {@link revokeClient} did. */
export interface ClientRevocation {
  /** Whether a registration existed (and was deleted). */
  readonly registered: boolean;
  /** How many grants of the client were revoked. */
  readonly grants: number;
  /** How many other stored tokens naming the client were destroyed. */
  readonly tokens: number;
}

/**
 * Revokes a client: every grant it holds (with their tokens), every other stored token or code that
 * names it, and its registration. A client in Client ID Metadata Document form (an https URL) has
 * no registration to delete: its grants and tokens are still revoked, and it may come back through
 * its document unless the server's CIMD policy refuses it. A dynamically registered client may
 * register again where registration is open.
 */
export async function revokeClient(storage: Storage, clientId: string): Promise<ClientRevocation> {
  const registered = (await storage.model('Client').find(clientId)) !== undefined;
  let grants = 0;
  for (const grant of await listGrants(storage)) {
    if (grant.clientId !== clientId) continue;
    await revokeGrant(storage, grant.id);
    grants++;
  }
  let tokens = 0;
  for (const name of CLIENT_TOKEN_MODELS) {
    const model = storage.model(name);
    for (const record of await model.list()) {
      if (record.payload.clientId !== clientId) continue;
      await model.destroy(record.id);
      tokens++;
    }
  }
  await storage.model('Client').destroy(clientId);
  return { registered, grants, tokens };
}
