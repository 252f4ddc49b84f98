/**
 * Test support: a private, unlocked GNOME Keyring on a private D-Bus session bus, for the keychain
 * store's tests on Linux. It starts `dbus-daemon` (a config without service activation, so no other
 * keyring daemon can be started behind our back) and `gnome-keyring-daemon --foreground --unlock
 * --components=secrets` (the password on stdin) with a temporary HOME and XDG directories, waits
 * until the Secret Service answers, and stops both by PID.
 *
 * Missing programs are an error, not a skip: install the Debian packages `libsecret-tools`,
 * `gnome-keyring` and `dbus-daemon` (`.ci/run` does).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isKeychainAvailable } from './keychain-store.js';

const PROGRAMS = ['secret-tool', 'gnome-keyring-daemon', 'dbus-daemon'] as const;

/** A running private keyring. */
export interface PrivateKeyring {
  /** The environment for the tools: `PATH`, the temporary HOME / XDG dirs, `DBUS_SESSION_BUS_ADDRESS`. */
  readonly env: Readonly<Record<string, string>>;
  /** The session bus address. */
  readonly address: string;
  /** The PIDs started (for the test's own cleanup check). */
  readonly pids: readonly number[];
  /** Stops the keyring and the bus (SIGTERM, then SIGKILL after 5 s), by PID. */
  stop(): Promise<void>;
}

async function findProgram(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      await access(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {}
  }
  return undefined;
}

/** Throws naming the Debian packages when a program the keyring tests need is missing. */
export async function requireKeyringPrograms(): Promise<void> {
  const missing: string[] = [];
  for (const name of PROGRAMS) if ((await findProgram(name)) === undefined) missing.push(name);
  if (missing.length > 0) {
    throw new Error(
      `the keychain store tests need ${missing.join(', ')}: apt-get install libsecret-tools gnome-keyring dbus-daemon (see .ci/run)`,
    );
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => process.kill(child.pid as number, 'SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    process.kill(child.pid as number, 'SIGTERM');
  });
}

function busConfig(socket: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

function readAddress(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('dbus-daemon printed no address in time')), timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      const line = text.split('\n', 2);
      if (line.length === 2 && line[0] !== undefined) {
        clearTimeout(timer);
        resolve(line[0].trim());
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dbus-daemon exited (${code}) before printing its address`));
    });
  });
}

/** Starts a private keyring under `root` (an empty temporary directory, removed by `stop`). */
export async function startPrivateKeyring(root: string): Promise<PrivateKeyring> {
  await requireKeyringPrograms();
  const run = join(root, 'run');
  await mkdir(run, { recursive: true });
  await chmod(run, 0o700);
  const config = join(root, 'bus.conf');
  await writeFile(config, busConfig(join(run, 'bus')));
  const started: ChildProcess[] = [];
  const stop = async () => {
    for (const child of started.reverse()) await stopProcess(child);
    await rm(root, { recursive: true, force: true });
  };
  try {
    const bus = spawn(
      'dbus-daemon',
      [`--config-file=${config}`, '--nofork', '--nopidfile', '--print-address=1'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    started.push(bus);
    bus.stderr.resume();
    const address = await readAddress(bus, 10_000);
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: join(root, 'home'),
      XDG_DATA_HOME: join(root, 'data'),
      XDG_CONFIG_HOME: join(root, 'config'),
      XDG_RUNTIME_DIR: run,
      DBUS_SESSION_BUS_ADDRESS: address,
    };
    const keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    started.push(keyring);
    keyring.stdout.resume();
    let keyringErr = '';
    keyring.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      keyringErr += chunk;
    });
    keyring.stdin.end('test-keyring-password');
    const deadline = Date.now() + 15_000;
    while (!(await isKeychainAvailable({ env, platform: 'linux', timeoutMs: 2_000 }))) {
      if (keyring.exitCode !== null || Date.now() > deadline) {
        throw new Error(`gnome-keyring-daemon did not come up: ${keyringErr.trim() || 'no output'}`);
      }
      await sleep(50);
    }
    return {
      env,
      address,
      pids: started.map((child) => child.pid as number),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
