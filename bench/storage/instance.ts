/**
 * Child process of the storage benchmark: a second authorization server instance on the same
 * PostgreSQL database as the `postgres` target of servers.ts, with the same issuer and resource
 * (as every instance behind one public URL has), listening on its own loopback port. The token
 * endpoint builds no URL from `Host`, so the load generator can address each instance directly.
 *
 * Argument: the JSON of {@link SecondInstance}. Prints one JSON line, `{ "tokenUrl": … }`, when
 * ready; serves until SIGTERM.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthorizationServer, openPostgresStorage } from '@gatehouse/authorization-server';
import type { SecondInstance } from './setup.ts';

const { databaseUrl, issuer, resource, scope } = JSON.parse(process.argv[2] ?? '{}') as SecondInstance;
const storage = await openPostgresStorage({ connectionString: databaseUrl, purgeIntervalSeconds: 0 });
const server = await createAuthorizationServer({
  issuer,
  storage,
  resources: [{ resource, scopes: { [scope]: 'Use the tools' } }],
});
const http = createServer({ keepAliveTimeout: 60_000 }, server.listener);
http.listen(0, '127.0.0.1');
await once(http, 'listening');
const { port } = http.address() as AddressInfo;
process.stdout.write(
  `${JSON.stringify({ tokenUrl: `http://127.0.0.1:${port}${new URL(issuer).pathname}/token` })}\n`,
);

process.once('SIGTERM', () => {
  http.closeAllConnections();
  http.close();
  void server
    .close()
    .then(() => storage.close())
    .then(() => process.exit(0));
});
