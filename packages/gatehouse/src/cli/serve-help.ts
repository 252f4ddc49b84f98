import { LOG_LEVELS } from '../gateway/logger.js';
import { SERVE_DEFAULTS } from './serve-flags.js';

/** The help text of `gatehouse serve`. */
export const SERVE_HELP = `Usage: gatehouse serve (--demo | --upstream <url> | --module <file> | -- <command> [args...]) [options]

Puts OAuth 2.1 in front of an MCP server: an authorization server at /oauth (sign-in, consent,
tokens), Protected Resource Metadata, bearer-token checks (issuer, audience, expiry, signature),
scope checks and Origin checks, then the MCP endpoint at /mcp.

Upstream (exactly one):
  -- <command> [args...]      a stdio MCP server: one child process per user (issuer + subject +
                              client), never shared; its stderr goes to the log
                              (env GATEHOUSE_COMMAND, a JSON array: ["node","server.js"])
  --upstream <url>            an HTTP (Streamable HTTP) MCP server, relayed after authentication;
                              the client's token, cookies and other headers are never forwarded
                              (env GATEHOUSE_UPSTREAM)
  --module <file>             an ES module exporting an SDK v2 McpServer factory (default export
                              or "createServer"); it receives { authInfo } (env GATEHOUSE_MODULE)
  --demo                      the built-in demo MCP server (tools: whoami, echo, add, add_note)
                              (env GATEHOUSE_DEMO=true)

Upstream options:
  --max-processes <n>         at most n stdio child processes at once; one more user gets
                              HTTP 503 (default ${SERVE_DEFAULTS.maxProcesses}; env GATEHOUSE_MAX_PROCESSES)
  --idle-timeout <duration>   stop a user's child process after this long without requests:
                              90s, 10m, 1h (default ${SERVE_DEFAULTS.idleTimeout}; env GATEHOUSE_IDLE_TIMEOUT)
  --pass-env <NAME>           pass this environment variable to the stdio children (repeatable);
                              they get only HOME, PATH, USER and the like otherwise
                              (env GATEHOUSE_PASS_ENV)
  --upstream-bearer-env <VAR> send "Authorization: Bearer <value of VAR>" to the HTTP upstream
                              (the gateway's own credential; env GATEHOUSE_UPSTREAM_BEARER_ENV)
  --upstream-header-env <Name=VAR>
                              send header Name with the value of environment variable VAR to the
                              HTTP upstream (repeatable; env GATEHOUSE_UPSTREAM_HEADER_ENV)
  --upstream-header <"Name: value">
                              send this non-secret header to the HTTP upstream (repeatable; env
                              GATEHOUSE_UPSTREAM_HEADER, one header per line). Secrets belong in
                              the environment, not on the command line: use the two flags above.

Authorization:
  --data-dir <dir>            where the embedded authorization server keeps its database and keys
                              (default ./.gatehouse; env GATEHOUSE_DATA_DIR)
  --database <url>            keep everything (clients, grants, tokens, accounts, keys) in this
                              PostgreSQL database instead of --data-dir, so that several instances
                              behind one URL share it: postgres://user@host:5432/gatehouse (env
                              GATEHOUSE_DATABASE_URL; prefer it or PGPASSWORD for a password).
                              Pending migrations are applied at start; see gatehouse migrate
  --key-reload-interval <s>   seconds between two reads of the signing and cookie keys, so that a
                              rotation by another instance or gatehouse keys rotate is picked up
                              (default 30; 0: only when a token signed with an unknown key
                              arrives; env GATEHOUSE_KEY_RELOAD_INTERVAL)
  --registration <mode>       dynamic client registration: open | initial-access-token | off
                              (default: open on loopback, else initial-access-token;
                              env GATEHOUSE_REGISTRATION)
  --external-issuer <url>     trust this OAuth/OIDC issuer instead of the embedded one
                              (env GATEHOUSE_EXTERNAL_ISSUER); its tokens must carry
                              aud = <public-url>/mcp
  --jwks-uri <url>            the external issuer's JWKS (default: discovered from its metadata;
                              env GATEHOUSE_JWKS_URI)
  --scope <scope>             a scope of this resource, advertised in its metadata (repeatable;
                              env GATEHOUSE_SCOPE)

Sign-in through an OpenID Connect provider (embedded authorization server only):
  --upstream-oidc-issuer <url>
                              the provider's issuer; register <public-url>/oauth/upstream/callback
                              as redirect URI there (env GATEHOUSE_UPSTREAM_OIDC_ISSUER)
  --upstream-oidc-client-id <id>
                              this server's client id at the provider
                              (env GATEHOUSE_UPSTREAM_OIDC_CLIENT_ID)
  --upstream-oidc-client-secret-env <VAR>
                              the variable holding its client secret (omit for a public client;
                              env GATEHOUSE_UPSTREAM_OIDC_CLIENT_SECRET_ENV)
  --upstream-oidc-scope <scope>
                              scopes requested there (repeatable; default openid profile email;
                              env GATEHOUSE_UPSTREAM_OIDC_SCOPE)
  --upstream-oidc-name <name> the button label: "Sign in with <name>" (default: the provider's
                              host; env GATEHOUSE_UPSTREAM_OIDC_NAME)
  --upstream-oidc-only        no local password form: everyone signs in at the provider
                              (env GATEHOUSE_UPSTREAM_OIDC_ONLY)

Network:
  --port <n>                  port to listen on (default 8080; env GATEHOUSE_PORT)
  --host <addr>               address to bind (default 127.0.0.1; env GATEHOUSE_HOST); a
                              non-loopback address needs --cert/--key or an https --public-url
  --public-url <url>          the URL clients use (default http(s)://<host>:<port>; env
                              GATEHOUSE_PUBLIC_URL); https when binding a non-loopback address
  --cert <file>               serve HTTPS with this PEM certificate chain (env GATEHOUSE_CERT)
  --key <file>                ... and this PEM private key (env GATEHOUSE_KEY)
  --allowed-origin <origin>   a browser Origin allowed to call /mcp (repeatable; loopback
                              origins are always allowed; env GATEHOUSE_ALLOWED_ORIGIN)
  --trust-proxy               behind a reverse proxy: the authorization server builds its URLs from
                              X-Forwarded-Host and -Proto and counts clients by the last
                              X-Forwarded-For entry (env GATEHOUSE_TRUST_PROXY). Only when that
                              proxy overwrites these headers and is the only way in: anyone who
                              reaches the server directly could otherwise choose the host it
                              announces

Logging:
  --log-level <level>         ${LOG_LEVELS.join(' | ')} (default info; env GATEHOUSE_LOG_LEVEL);
                              JSON lines on stderr, tokens, secrets, codes and cookies redacted

  -h, --help                  show this help

Every option can also be set with its environment variable; the command line wins. A repeatable
option's variable holds a space-separated list (GATEHOUSE_UPSTREAM_HEADER: one per line).

Examples:
  gatehouse serve --demo
  gatehouse serve -- npx -y @modelcontextprotocol/server-everything
  gatehouse serve --max-processes 5 --idle-timeout 5m -- node ./my-server.js
  UPSTREAM_TOKEN=... gatehouse serve --upstream https://mcp.internal.example/mcp --upstream-bearer-env UPSTREAM_TOKEN
  gatehouse serve --module ./server.mjs
  gatehouse serve --demo --host 0.0.0.0 --cert cert.pem --key key.pem --public-url https://mcp.example.com:8080
  gatehouse serve --demo --external-issuer https://login.example.com/realms/mcp
  GATEHOUSE_DATABASE_URL=postgres://gatehouse@db.internal/gatehouse gatehouse serve --demo --trust-proxy --public-url https://mcp.example.com
`;
