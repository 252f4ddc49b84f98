import { describe, expect, it } from 'vitest';
import { UsageError } from '../usage-error.js';
import { AUTHORIZING_FLAGS, parseCommandLine } from './client-options.js';

const ONE_URL = { min: 1, max: 1, usage: 'gatehouse token <url>' };

describe('parseCommandLine', () => {
  it('reads a client id or secret beginning with "-" as the value of its flag', () => {
    const parsed = parseCommandLine(
      'token',
      ['http://127.0.0.1:1/mcp', '--client-id', '-Oq3id', '--client-secret', '-x_secret'],
      AUTHORIZING_FLAGS,
      ONE_URL,
    );
    expect(parsed).not.toBe('help');
    if (parsed === 'help') return;
    expect(parsed.values['client-id']).toBe('-Oq3id');
    expect(parsed.values['client-secret']).toBe('-x_secret');
    expect(parsed.positionals).toEqual(['http://127.0.0.1:1/mcp']);
  });

  it('still refuses an unknown flag and a second positional', () => {
    expect(() =>
      parseCommandLine('token', ['http://127.0.0.1:1/mcp', '--scop', 'a'], AUTHORIZING_FLAGS, ONE_URL),
    ).toThrow(UsageError);
    expect(() =>
      parseCommandLine('token', ['http://127.0.0.1:1/mcp', 'extra'], AUTHORIZING_FLAGS, ONE_URL),
    ).toThrow(/unexpected argument "extra"/);
  });
});
