import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage } from '@gatehouse/authorization-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runGatehouse } from './admin-test-io.test-helpers.js';
import { COMMANDS } from './commands.js';
import { applyConfigFile, CONFIG_KEYS, configEnvName, extractConfigFlag } from './config-file.js';
import { parseServeOptions } from './serve-options.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A data directory holding one account named `username` (what `users list` will show). */
async function dataDirWithUser(name: string, username: string): Promise<string> {
  const dataDir = join(dir, name);
  const storage = openSqliteStorage({ path: join(dataDir, 'gatehouse.db'), purgeIntervalSeconds: 0 });
  await storage.accounts.create({
    id: `id-${username}`,
    username,
    passwordHash: '',
    createdAt: 1,
    updatedAt: 1,
    failedAttempts: 0,
    lockedUntil: null,
    upstream: null,
  });
  await storage.close();
  return dataDir;
}

async function writeConfig(path: string, config: unknown): Promise<void> {
  await writeFile(path, typeof config === 'string' ? config : JSON.stringify(config));
}

describe('configuration precedence: flag > environment > gatehouse.config.json', () => {
  it('uses the file, then the environment over it, then the flag over both', async () => {
    const fromFile = await dataDirWithUser('file', 'from-file');
    const fromEnv = await dataDirWithUser('env', 'from-env');
    const fromFlag = await dataDirWithUser('flag', 'from-flag');
    await writeConfig(join(dir, 'gatehouse.config.json'), { 'data-dir': 'file' });

    const file = await runGatehouse(['users', 'list'], { cwd: dir });
    expect(file.stdout, file.stderr).toMatch(/^from-file\s/m);
    const env = await runGatehouse(['users', 'list'], { cwd: dir, env: { GATEHOUSE_DATA_DIR: fromEnv } });
    expect(env.stdout).toMatch(/^from-env\s/m);
    const flag = await runGatehouse(['users', 'list', '--data-dir', fromFlag], {
      cwd: dir,
      env: { GATEHOUSE_DATA_DIR: fromEnv },
    });
    expect(flag.stdout).toMatch(/^from-flag\s/m);
    // An empty variable counts as unset: the file applies.
    const empty = await runGatehouse(['users', 'list'], { cwd: dir, env: { GATEHOUSE_DATA_DIR: '' } });
    expect(empty.stdout).toMatch(/^from-file\s/m);
    expect(fromFile).toBe(join(dir, 'file'));
  });

  it('reads --config before or after the command, or GATEHOUSE_CONFIG; relative paths are relative to the file', async () => {
    await dataDirWithUser('elsewhere/data', 'elsewhere-user');
    const config = join(dir, 'elsewhere', 'gatehouse.config.json');
    await writeConfig(config, { 'data-dir': 'data' });
    const cwd = join(dir, 'cwd');
    await mkdir(cwd);
    for (const run of [
      () => runGatehouse(['--config', config, 'users', 'list'], { cwd }),
      () => runGatehouse(['users', 'list', `--config=${config}`], { cwd }),
      () => runGatehouse(['users', 'list'], { cwd, env: { GATEHOUSE_CONFIG: config } }),
      () => runGatehouse(['users', 'list', '--config', '../elsewhere/gatehouse.config.json'], { cwd }),
    ]) {
      const result = await run();
      expect(result.stdout, result.stderr).toMatch(/^elsewhere-user\s/m);
    }
  });

  it('maps every kind of value to its GATEHOUSE_* variable, which gatehouse serve reads', async () => {
    const file = join(dir, 'gatehouse.config.json');
    await writeConfig(file, {
      $schema: 'ignored',
      demo: true,
      port: 9090,
      host: '127.0.0.1',
      scope: ['mcp:read', 'mcp:write'],
      'upstream-header': ['X-A: 1', 'X-B: two words'],
      command: ['node', 'server with space.js'],
      'data-dir': 'state',
    });
    const env = await applyConfigFile(undefined, { GATEHOUSE_HOST: '::1', OTHER: 'kept' }, dir);
    expect(env).toMatchObject({
      GATEHOUSE_DEMO: 'true',
      GATEHOUSE_PORT: '9090',
      GATEHOUSE_HOST: '::1',
      GATEHOUSE_SCOPE: 'mcp:read mcp:write',
      GATEHOUSE_UPSTREAM_HEADER: 'X-A: 1\nX-B: two words',
      GATEHOUSE_COMMAND: '["node","server with space.js"]',
      GATEHOUSE_DATA_DIR: join(dir, 'state'),
      OTHER: 'kept',
    });
    expect(env).not.toHaveProperty('GATEHOUSE_$SCHEMA');
    const { GATEHOUSE_COMMAND: _command, ...withoutCommand } = env;
    const options = parseServeOptions(['--port', '9191'], withoutCommand);
    expect(options).toMatchObject({ port: 9191, host: '::1', dataDir: join(dir, 'state') });
    expect(parseServeOptions([], withoutCommand)).toMatchObject({ port: 9090 });
  });

  it('takes --config out of the arguments only before "--"', () => {
    expect(
      extractConfigFlag(['serve', '--config', 'a.json', '--port', '1', '--', 'x', '--config', 'b']),
    ).toEqual({
      args: ['serve', '--port', '1', '--', 'x', '--config', 'b'],
      configPath: 'a.json',
    });
    expect(extractConfigFlag(['users', 'list'])).toEqual({ args: ['users', 'list'], configPath: undefined });
  });
});

describe('invalid configuration: a clear error naming the key, exit 2', () => {
  async function runWith(config: unknown): Promise<{ code: number; stderr: string }> {
    await writeConfig(join(dir, 'gatehouse.config.json'), config);
    return runGatehouse(['users', 'list'], { cwd: dir });
  }

  it('an unknown key lists the valid keys and suggests the kebab-case name', async () => {
    const result = await runWith({ dataDir: '/x' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown key "dataDir" in .*gatehouse\.config\.json/);
    expect(result.stderr).toMatch(/Did you mean "data-dir"\? Keys are long option names: .*data-dir.*port/);
    const other = await runWith({ colour: 'blue' });
    expect(other.stderr).not.toMatch(/Did you mean/);
  });

  it('a wrong type names the key and the expected type, without echoing the value', async () => {
    const port = await runWith({ port: '8080' });
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/"port" in .* must be a whole number, not a string/);
    const scope = await runWith({ scope: 'mcp:read' });
    expect(scope.stderr).toMatch(/"scope" .* must be an array of strings without spaces/);
    const spaced = await runWith({ scope: ['a b'] });
    expect(spaced.code).toBe(2);
    const demo = await runWith({ demo: 'yes' });
    expect(demo.stderr).toMatch(/"demo" .* must be true or false/);
    const command = await runWith({ command: [] });
    expect(command.stderr).toMatch(/"command" .* must be a non-empty array/);
  });

  it('bad JSON gives the line and column; a non-object, a missing or doubled --config are errors', async () => {
    const syntax = await runWith('{\n  "port": 80,\n  oops\n}');
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toMatch(/not valid JSON \(line 3, column 3\)/);
    expect(syntax.stderr).not.toContain('oops');
    expect((await runWith([1, 2])).stderr).toMatch(/must hold a JSON object/);

    const missing = await runGatehouse(['--config', join(dir, 'nope.json'), 'users', 'list'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json not found/);
    const missingEnv = await runGatehouse(['users', 'list'], {
      env: { GATEHOUSE_CONFIG: join(dir, 'nope.json') },
    });
    expect(missingEnv.code).toBe(2);
    expect(missingEnv.stderr).toMatch(/GATEHOUSE_CONFIG/);
    expect((await runGatehouse(['--config', 'a', '--config', 'b', 'users', 'list'])).code).toBe(2);
    expect((await runGatehouse(['users', 'list', '--config'])).code).toBe(2);
  });

  it('gatehouse --help still works next to a broken configuration file', async () => {
    await writeConfig(join(dir, 'gatehouse.config.json'), '{');
    const help = await runGatehouse(['--help'], { cwd: dir });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--config <file>/);
  });
});

describe('configuration keys', () => {
  it('cover every GATEHOUSE_* variable that a command documents in its --help, and only those', async () => {
    const documented = new Set<string>();
    for (const command of COMMANDS) {
      const help = await runGatehouse([command.name, '--help']);
      for (const name of help.stdout.match(/GATEHOUSE_[A-Z_]+/g) ?? []) documented.add(name);
    }
    documented.delete('GATEHOUSE_CONFIG');
    const keys = new Set(Object.keys(CONFIG_KEYS).map(configEnvName));
    expect([...documented].filter((name) => !keys.has(name))).toEqual([]);
    expect([...keys].filter((name) => !documented.has(name))).toEqual([]);
  });
});
