import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CimdResolver,
  createCimdResolver,
  resolveCimdOptions,
  withClientIdMetadataDocuments,
} from './index.js';

let server: Server;
let origin: string;
let requests = 0;
let handler: (req: IncomingMessage, res: ServerResponse) => void;
const resolvers: CimdResolver[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await Promise.all(resolvers.splice(0).map((resolver) => resolver.close()));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function serve(status: number, body: unknown, headers: Record<string, string> = {}): void {
  handler = (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };
}

function resolverWith(options: Record<string, unknown>, internals = {}): CimdResolver {
  const resolver = createCimdResolver(
    resolveCimdOptions({ dangerouslyAllowLoopback: true, ...options }),
    internals,
  );
  resolvers.push(resolver);
  return resolver;
}

function documentAt(clientId: string) {
  return { client_id: clientId, client_name: 'App', redirect_uris: ['http://127.0.0.1:3000/cb'] };
}

async function rejection(promise: Promise<unknown>): Promise<{ error?: string; error_description?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { error?: string; error_description?: string };
  }
  throw new Error('expected a rejection');
}

describe('createCimdResolver', () => {
  it('resolves a document to client metadata, one fetch for concurrent lookups', async () => {
    const clientId = `${origin}/a/client.json`;
    serve(200, documentAt(clientId), { 'cache-control': 'max-age=600' });
    const resolver = resolverWith({});
    requests = 0;
    const [first, second] = await Promise.all([resolver.resolve(clientId), resolver.resolve(clientId)]);
    expect(first).toMatchObject({ client_id: clientId, token_endpoint_auth_method: 'none' });
    expect(second).toEqual(first);
    expect(requests).toBe(1);
  });

  it('fetches again once the cache lifetime is over', async () => {
    let now = 1_000_000;
    const clientId = `${origin}/b/client.json`;
    serve(200, documentAt(clientId), { 'cache-control': 'max-age=120' });
    const resolver = resolverWith({}, { now: () => now });
    requests = 0;
    await resolver.resolve(clientId);
    now += 119_000;
    await resolver.resolve(clientId);
    expect(requests).toBe(1);
    now += 2_000;
    await resolver.resolve(clientId);
    expect(requests).toBe(2);
  });

  it('remembers a failure for a short time, then tries again', async () => {
    let now = 1_000_000;
    const clientId = `${origin}/c/client.json`;
    serve(200, documentAt(`${origin}/elsewhere.json`));
    const resolver = resolverWith({}, { now: () => now });
    requests = 0;
    const error = await rejection(resolver.resolve(clientId));
    expect(error.error).toBe('invalid_client');
    expect(error.error_description).toMatch(/"client_id" does not equal the URL/);
    await rejection(resolver.resolve(clientId));
    expect(requests).toBe(1);
    now += 10_000;
    serve(200, documentAt(clientId));
    await expect(resolver.resolve(clientId)).resolves.toMatchObject({ client_id: clientId });
    expect(requests).toBe(2);
  });

  it('refuses a host outside trustedHosts without fetching', async () => {
    const clientId = `${origin}/d/client.json`;
    serve(200, documentAt(clientId));
    const resolver = resolverWith({ trustedHosts: ['app.example.com'] });
    requests = 0;
    const error = await rejection(resolver.resolve(clientId));
    expect(error.error).toBe('invalid_client');
    expect(error.error_description).toMatch(/not trusted/);
    expect(requests).toBe(0);
  });

  it('SSRF: refuses a host that resolves to a private address, deciding from the lookup alone', async () => {
    const looked: string[] = [];
    const resolver = resolverWith(
      { dangerouslyAllowLoopback: false },
      {
        // Test seam of safe-fetch: no DNS query, and the refusal happens before any connection.
        lookup: async (hostname: string) => {
          looked.push(hostname);
          return [{ address: '10.0.0.1', family: 4 }];
        },
      },
    );
    const error = await rejection(resolver.resolve('https://cimd.test/client.json'));
    expect(looked).toEqual(['cimd.test']);
    expect(error.error).toBe('invalid_client');
    expect(error.error_description).toMatch(/private, loopback or reserved address/);
  });

  it('refuses a loopback document URL unless dangerouslyAllowLoopback is set', async () => {
    const resolver = resolverWith({ dangerouslyAllowLoopback: false });
    expect(resolver.handles(`${origin}/e/client.json`)).toBe(false);
    expect(resolver.handles('https://app.example.com/client.json')).toBe(true);
  });
});

describe('withClientIdMetadataDocuments', () => {
  const stored: AdapterPayload = { client_id: 'stored' };

  class Base implements Adapter {
    constructor(readonly name: string) {}
    async upsert() {}
    async find(id: string) {
      return id === 'stored' || this.name !== 'Client' ? stored : undefined;
    }
    async findByUid() {
      return undefined;
    }
    async findByUserCode() {
      return undefined;
    }
    async consume() {}
    async destroy() {}
    async revokeByGrantId() {}
  }

  const resolver: CimdResolver = {
    handles: (id) => id.startsWith('https://'),
    resolve: async (id) => ({ client_id: id, from: 'cimd' }),
    close: async () => {},
  };
  const Adapter = withClientIdMetadataDocuments(Base, resolver);

  it('answers CIMD client IDs of the Client model from the resolver', async () => {
    await expect(new Adapter('Client').find('https://app.example.com/c.json')).resolves.toEqual({
      client_id: 'https://app.example.com/c.json',
      from: 'cimd',
    });
  });

  it('leaves other client IDs and other models to storage', async () => {
    await expect(new Adapter('Client').find('stored')).resolves.toBe(stored);
    await expect(new Adapter('Client').find('unknown')).resolves.toBeUndefined();
    await expect(new Adapter('Session').find('https://app.example.com/c.json')).resolves.toBe(stored);
  });
});
