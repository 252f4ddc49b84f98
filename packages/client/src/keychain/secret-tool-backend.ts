/**
 * The Secret Service backend (freedesktop.org Secret Service API: GNOME Keyring, KWallet, KeePassXC)
 * through libsecret's `secret-tool`. Items carry the attributes `service` and `account`; the secret
 * goes to `secret-tool store` on stdin and comes back from `secret-tool lookup` on stdout, never in
 * argv.
 */
import { KeychainError } from './errors.js';
import type { KeychainBackend, KeychainBackendOptions } from './keychain-backend.js';
import { firstLine, runTool, type ToolResult } from './run-tool.js';

const TOOL = 'secret-tool';

function failed(action: string, result: ToolResult): KeychainError {
  const detail = firstLine(result.stderr);
  return new KeychainError(
    'ERR_KEYCHAIN_FAILED',
    `${TOOL} ${action} failed (exit status ${result.status})${detail === '' ? '' : `: ${detail}`}`,
    { tool: TOOL },
  );
}

/** `secret-tool` answers "nothing found" with exit status 1 and nothing on stderr. */
function isNothingFound(result: ToolResult): boolean {
  return result.status === 1 && result.stderr.trim() === '';
}

/** Creates the `secret-tool` backend (resolved on the `PATH` of `options.env`). */
export function createSecretToolBackend(options: KeychainBackendOptions): KeychainBackend {
  const run = (args: readonly string[], input?: string) =>
    runTool(TOOL, args, {
      env: options.env,
      timeoutMs: options.timeoutMs,
      ...(input === undefined ? {} : { input }),
    });
  const attributes = (account: string) => ['service', options.service, 'account', account];

  return {
    tool: TOOL,
    async read(account) {
      const result = await run(['lookup', ...attributes(account)]);
      if (result.status === 0) return result.stdout;
      if (isNothingFound(result)) return undefined;
      throw failed('lookup', result);
    },
    async write(account, secret) {
      const label = `Gatehouse MCP client (${options.service} ${account.slice(0, 20)})`;
      const result = await run(['store', `--label=${label}`, ...attributes(account)], secret);
      if (result.status !== 0) throw failed('store', result);
    },
    async remove(account) {
      const result = await run(['clear', ...attributes(account)]);
      if (result.status !== 0 && !isNothingFound(result)) throw failed('clear', result);
    },
  };
}
