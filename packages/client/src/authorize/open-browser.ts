/**
 * Showing the authorization URL to the user: printed to stderr always, then opened in the default
 * browser, or handed to a hook.
 *
 * The browser is started with `node:child_process` `spawn`, **without a shell**, the URL being one
 * argv element: `xdg-open <url>` (Linux, BSD), `open <url>` (macOS), `rundll32
 * url.dll,FileProtocolHandler <url>` (Windows). No command line is ever parsed, so no character of
 * the URL (`&`, `;`, `|`, quotes) can become a command (MCP Security Best Practices 2026: never open
 * URLs through a shell). This is preferred over the `open` npm package: no dependency, and on
 * Windows no `cmd`/PowerShell string is built. Only `http:`/`https:` URLs are ever opened, `http:`
 * only on a loopback host.
 */
import { spawn as nodeSpawn } from 'node:child_process';
import { invalidArgument, isLoopbackHostname } from '@gatehouse/core';

/** The part of a spawned process {@link presentAuthorizationUrl} uses. */
export interface SpawnedProcess {
  once(event: 'spawn', listener: () => void): unknown;
  once(event: 'error', listener: (error: Error) => void): unknown;
  unref(): void;
}

/** The options {@link presentAuthorizationUrl} spawns with: never a shell. */
export interface BrowserSpawnOptions {
  readonly shell: false;
  readonly stdio: 'ignore';
  readonly detached: true;
  readonly windowsHide: true;
}

/** `child_process.spawn`'s shape, narrowed: injectable for tests (which must not launch anything). */
export type SpawnFunction = (command: string, args: string[], options: BrowserSpawnOptions) => SpawnedProcess;

/** Where the URL is printed: anything with a `write(text)`, e.g. `process.stderr`. */
export interface TextWriter {
  write(text: string): unknown;
}

/** Options of {@link presentAuthorizationUrl}. Each default is stated on its field. */
export interface OpenBrowserOptions {
  /** Where the URL (and a note when the browser cannot be started) is printed. Default: `process.stderr`. */
  readonly stderr?: TextWriter;
  /**
   * Only print the URL and let the user open it (SSH sessions, containers). Default: `true` on
   * Linux/BSD when neither `DISPLAY` nor `WAYLAND_DISPLAY` is set, else `false`.
   */
  readonly headless?: boolean;
  /**
   * Replaces the browser step: called with the URL (tests drive the sign-in over HTTP; an embedding
   * application shows the URL its own way). Its rejection rejects the authorization. Default: none.
   */
  readonly onAuthorizationUrl?: (url: URL) => Promise<void> | void;
  /** Default: `child_process.spawn`. */
  readonly spawn?: SpawnFunction;
  /** Default: `process.platform`. */
  readonly platform?: NodeJS.Platform;
  /** Read for `DISPLAY` / `WAYLAND_DISPLAY`. Default: `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The names of {@link OpenBrowserOptions}. */
export const OPEN_BROWSER_OPTIONS: readonly string[] = [
  'stderr',
  'headless',
  'onAuthorizationUrl',
  'spawn',
  'platform',
  'env',
];

/**
 * The command and argv that open `url` on `platform`, the URL as the last, single argument.
 *
 * @example
 * browserCommand(new URL('https://as.example/authorize?a=1&b=2'), 'win32');
 * // { command: 'rundll32', args: ['url.dll,FileProtocolHandler', 'https://as.example/authorize?a=1&b=2'] }
 */
export function browserCommand(url: URL, platform: NodeJS.Platform): { command: string; args: string[] } {
  const href = openableUrl(url).href;
  if (platform === 'darwin') return { command: 'open', args: [href] };
  if (platform === 'win32') return { command: 'rundll32', args: ['url.dll,FileProtocolHandler', href] };
  return { command: 'xdg-open', args: [href] };
}

/** Refuses anything but https, or http on loopback (misuse: the URL is built by the client). */
function openableUrl(url: URL): URL {
  if (!(url instanceof URL))
    throw invalidArgument('the authorization URL must be a URL', 'ERR_INVALID_ARG_TYPE');
  const ok =
    (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHostname(url.hostname))) &&
    url.username === '' &&
    url.password === '';
  if (!ok) throw invalidArgument('only https URLs (http on loopback) are opened in a browser');
  return url;
}

function isHeadless(platform: NodeJS.Platform, env: Readonly<Record<string, string | undefined>>): boolean {
  if (platform === 'darwin' || platform === 'win32') return false;
  return !env.DISPLAY && !env.WAYLAND_DISPLAY;
}

/** Starts the browser; resolves `true` once spawned, `false` when it could not be (e.g. ENOENT). */
function launch(spawnFn: SpawnFunction, url: URL, platform: NodeJS.Platform): Promise<boolean> {
  const { command, args } = browserCommand(url, platform);
  let child: SpawnedProcess;
  try {
    child = spawnFn(command, args, { shell: false, stdio: 'ignore', detached: true, windowsHide: true });
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
    child.once('error', () => resolve(false));
  });
}

/**
 * Shows the authorization URL to the user (RFC 8252 §4: the system browser, never an embedded view):
 *
 * 1. prints it to `stderr`, always, so a user whose browser did not open can copy it;
 * 2. then either calls `onAuthorizationUrl(url)` (awaited), or in headless mode does nothing more,
 *    or spawns the platform's opener without a shell ({@link browserCommand}); when the opener cannot
 *    be started, a note saying so is printed and the call still resolves (the user has the URL).
 *
 * Resolves once the URL was handed over; waiting for the callback is the listener's job.
 * A URL that is not https (or http on loopback) is a `TypeError`. Does NOT check that a browser
 * actually showed the page.
 *
 * @example
 * await presentAuthorizationUrl(url, { stderr: process.stderr });
 * const callbackUrl = await listener.waitForCallback();
 */
export async function presentAuthorizationUrl(url: URL, options: OpenBrowserOptions = {}): Promise<void> {
  openableUrl(url);
  const {
    stderr = process.stderr,
    onAuthorizationUrl,
    spawn = nodeSpawn as unknown as SpawnFunction,
    platform = process.platform,
    env = process.env,
  } = options;
  if (typeof stderr?.write !== 'function') {
    throw invalidArgument('"stderr" must have a write(text) method', 'ERR_INVALID_ARG_TYPE');
  }
  if (onAuthorizationUrl !== undefined && typeof onAuthorizationUrl !== 'function') {
    throw invalidArgument('"onAuthorizationUrl" must be a function', 'ERR_INVALID_ARG_TYPE');
  }
  if (typeof spawn !== 'function')
    throw invalidArgument('"spawn" must be a function', 'ERR_INVALID_ARG_TYPE');
  const headless = options.headless ?? isHeadless(platform, env);
  if (typeof headless !== 'boolean')
    throw invalidArgument('"headless" must be a boolean', 'ERR_INVALID_ARG_TYPE');

  stderr.write(`To authorize, open this URL in your browser:\n\n  ${url.href}\n\n`);
  if (onAuthorizationUrl !== undefined) {
    await onAuthorizationUrl(new URL(url.href));
    return;
  }
  if (headless) return;
  if (!(await launch(spawn, url, platform))) {
    stderr.write('Could not start a browser: open the URL above yourself.\n');
  }
}
