/**
 * Whether a browser can be opened on this machine for the authorization code flow (RFC 8252 §4),
 * or the user is better served by the device authorization grant (RFC 8628 §1: "devices that lack
 * a browser"). Pure, with the environment as input, so every case is testable.
 */

/** The environment variables {@link canOpenBrowser} reads. */
export type BrowserEnvironment = Readonly<Record<string, string | undefined>>;

/**
 * `false` in an SSH session (`SSH_CONNECTION` or `SSH_TTY` set: a browser would open, if at all, on
 * the remote machine's screen, not in front of the user), and on Linux and the other Unix systems
 * without a graphical session (no `DISPLAY` and no `WAYLAND_DISPLAY`: a server, a container, WSL
 * without WSLg); `true` otherwise (macOS and Windows always have a browser launcher). Empty values
 * count as unset.
 *
 * Does NOT check that a browser is installed, or that the opener would succeed: a failed opener is
 * handled where the URL is presented (it is printed too).
 *
 * @example
 * canOpenBrowser({ DISPLAY: ':0' }, 'linux'); // true
 * canOpenBrowser({ DISPLAY: ':0', SSH_CONNECTION: '203.0.113.9 52144 10.0.0.5 22' }, 'linux'); // false
 * canOpenBrowser({}, 'darwin'); // true
 */
export function canOpenBrowser(
  env: BrowserEnvironment = process.env,
  platform: NodeJS.Platform = process.platform,
): boolean {
  if (env.SSH_CONNECTION || env.SSH_TTY) return false;
  if (platform === 'darwin' || platform === 'win32') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}
