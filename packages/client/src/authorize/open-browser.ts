/**
 * Showing the authorization URL to the user: printed to stderr always, then opened in the default
 * browser with the `open` package, or only printed (headless), or handed to a hook.
 *
 * `open` starts the platform's opener (`xdg-open`, macOS `open`, PowerShell `Start-Process` on
 * Windows) with the URL as one argument and never through a command line that we build, so no
 * character of the URL (`&`, `;`, `|`, quotes) can become a command (MCP Security Best Practices
 * 2026: never open URLs through a shell). Only `http:`/`https:` URLs are ever opened, `http:` only on
 * a loopback host.
 */
import { invalidArgument } from '@gatehouse/core';
import open from 'open';
import { isSecureUrl } from '../http.js';
import { canOpenBrowser } from './browser-availability.js';

/** Where the URL is printed: anything with a `write(text)`, e.g. `process.stderr`. */
export interface TextWriter {
  write(text: string): unknown;
}

/**
 * Opens `url` in the user's browser; resolves once the opener started, rejects when it could not
 * be started. Default: the `open` package (`open(url)`); injectable so tests launch nothing.
 */
export type BrowserOpener = (url: string) => Promise<unknown>;

/** Options of {@link presentAuthorizationUrl}. Each default is stated on its field. */
export interface OpenBrowserOptions {
  /** Where the URL (and a note when the browser cannot be started) is printed. Default: `process.stderr`. */
  readonly stderr?: TextWriter;
  /**
   * Only print the URL and let the user open it (SSH sessions, containers). Default: `true` in an
   * SSH session (`SSH_CONNECTION` / `SSH_TTY`) and on Linux/BSD when neither `DISPLAY` nor
   * `WAYLAND_DISPLAY` is set, else `false` (see `canOpenBrowser`).
   */
  readonly headless?: boolean;
  /**
   * Replaces the browser step: called with the URL (tests drive the sign-in over HTTP or in a test
   * browser; an embedding application shows the URL its own way). Its rejection rejects the
   * authorization. Default: none.
   */
  readonly onAuthorizationUrl?: (url: URL) => Promise<void> | void;
  /** Starts the browser. Default: the `open` package. */
  readonly openBrowser?: BrowserOpener;
  /** Default: `process.platform`. */
  readonly platform?: NodeJS.Platform;
  /** Read for `SSH_CONNECTION`, `SSH_TTY`, `DISPLAY`, `WAYLAND_DISPLAY`. Default: `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The names of {@link OpenBrowserOptions}. */
export const OPEN_BROWSER_OPTIONS: readonly string[] = [
  'stderr',
  'headless',
  'onAuthorizationUrl',
  'openBrowser',
  'platform',
  'env',
];

/** The default {@link BrowserOpener}: the `open` package, which resolves once the opener was spawned. */
const openWithOpenPackage: BrowserOpener = (url) => open(url);

/** Refuses anything but https, or http on loopback (misuse: the URL is built by the client). */
function openableUrl(url: URL): URL {
  if (!(url instanceof URL))
    throw invalidArgument('the authorization URL must be a URL', 'ERR_INVALID_ARG_TYPE');
  if (!isSecureUrl(url)) throw invalidArgument('only https URLs (http on loopback) are opened in a browser');
  return url;
}

/** No browser can be opened here: an SSH session, or Linux without a display (`canOpenBrowser`). */
function isHeadless(platform: NodeJS.Platform, env: Readonly<Record<string, string | undefined>>): boolean {
  return !canOpenBrowser(env, platform);
}

/**
 * Shows the authorization URL to the user (RFC 8252 §4: the system browser, never an embedded view):
 *
 * 1. prints it to `stderr`, always, so a user whose browser did not open can copy it;
 * 2. then either calls `onAuthorizationUrl(url)` (awaited), or in headless mode does nothing more,
 *    or opens it with `openBrowser` (the `open` package); when the browser cannot be started, a note
 *    saying so is printed and the call still resolves (the user has the URL).
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
    openBrowser = openWithOpenPackage,
    platform = process.platform,
    env = process.env,
  } = options;
  if (typeof stderr?.write !== 'function') {
    throw invalidArgument('"stderr" must have a write(text) method', 'ERR_INVALID_ARG_TYPE');
  }
  if (onAuthorizationUrl !== undefined && typeof onAuthorizationUrl !== 'function') {
    throw invalidArgument('"onAuthorizationUrl" must be a function', 'ERR_INVALID_ARG_TYPE');
  }
  if (typeof openBrowser !== 'function')
    throw invalidArgument('"openBrowser" must be a function', 'ERR_INVALID_ARG_TYPE');
  const headless = options.headless ?? isHeadless(platform, env);
  if (typeof headless !== 'boolean')
    throw invalidArgument('"headless" must be a boolean', 'ERR_INVALID_ARG_TYPE');

  stderr.write(`To authorize, open this URL in your browser:\n\n  ${url.href}\n\n`);
  if (onAuthorizationUrl !== undefined) {
    await onAuthorizationUrl(new URL(url.href));
    return;
  }
  if (headless) {
    stderr.write('Waiting for the authorization to complete…\n');
    return;
  }
  try {
    await openBrowser(url.href);
  } catch {
    stderr.write('Could not start a browser: open the URL above yourself.\n');
  }
}
