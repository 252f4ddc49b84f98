import type { ParseArgsOptionsConfig } from 'node:util';
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { withDashIds } from './dash-ids.js';

const OPTIONS: ParseArgsOptionsConfig = {
  client: { type: 'string' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

function parse(args: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: withDashIds(args, OPTIONS),
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  return { values: { ...values }, positionals };
}

describe('withDashIds', () => {
  it('reads an id beginning with "-" as a positional argument, in order with the others', () => {
    expect(parse(['-Oq3xYz', 'second', '--data-dir', '/d'])).toEqual({
      values: { 'data-dir': '/d' },
      positionals: ['-Oq3xYz', 'second'],
    });
  });

  it('reads a word beginning with "-" after a string option as that option\'s value', () => {
    expect(parse(['--client', '-Oq3xYz']).values).toEqual({ client: '-Oq3xYz' });
    expect(parse(['--client', '--weird']).values).toEqual({ client: '--weird' });
  });

  it('does not take a known option as the value of the one before it', () => {
    expect(() => parse(['--client', '--data-dir', '/d'])).toThrow(/argument is ambiguous|argument missing/);
    expect(() => parse(['--client', '-h'])).toThrow(/argument is ambiguous|argument missing/);
  });

  it('keeps mistyped long options and unknown short options as errors', () => {
    expect(() => parse(['--dta-dir', '/d'])).toThrow(/Unknown option '--dta-dir'/);
    expect(() => parse(['-x'])).toThrow(/Unknown option '-x'/);
  });

  it('keeps "--", "-", -h and --name=value as they were', () => {
    expect(parse(['--', '--Abc', '-h'])).toEqual({ values: {}, positionals: ['--Abc', '-h'] });
    expect(parse(['-', '-h', '--client=-x'])).toEqual({
      values: { help: true, client: '-x' },
      positionals: ['-'],
    });
  });
});
