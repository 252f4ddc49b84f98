/**
 * The macOS command lines of the keychain store (no macOS machine in CI): the secret is never in
 * argv, only in the command written to `security -i` on stdin, quoted the way its line splitter
 * (`split_line` in Apple's `SecurityTool/macOS/security.c`) reads it back.
 */
import { describe, expect, it } from 'vitest';
import { MACOS_MAX_COMMAND_LENGTH, macosAddCommand, macosArguments } from './macos-keychain-backend.js';

const SECRET = String.raw`{"version":1,"tokens":{"access_token":"at-SECRET \"quoted\" it's \u00e9"}}`;

/** `security -i`'s reading of a quoted argument: the quote dropped, a backslash escaping the next character. */
function unquote(argument: string): string {
  expect(argument.startsWith("'") && argument.endsWith("'")).toBe(true);
  let out = '';
  const inner = argument.slice(1, -1);
  for (let i = 0; i < inner.length; i += 1) {
    const char = inner[i] as string;
    if (char === '\\') {
      i += 1;
      out += inner[i];
    } else {
      expect(char).not.toBe("'");
      out += char;
    }
  }
  return out;
}

describe('macOS keychain backend command lines', () => {
  it('argv of read, remove and add holds service and account, never the secret', () => {
    const args = macosArguments('gatehouse', 'tokens-abc');
    expect(args.read).toEqual(['find-generic-password', '-s', 'gatehouse', '-a', 'tokens-abc', '-w']);
    expect(args.remove).toEqual(['delete-generic-password', '-s', 'gatehouse', '-a', 'tokens-abc']);
    expect(args.add).toEqual(['-i']);
  });

  it('the add command on stdin carries the secret single-quoted, updating in place (-U)', () => {
    const line = macosAddCommand('gatehouse', 'tokens-abc', SECRET);
    const match = /^add-generic-password -U -s gatehouse -a tokens-abc -w ('.*')\n$/.exec(line ?? '');
    expect(match).not.toBeNull();
    expect(unquote(match?.[1] ?? '')).toBe(SECRET);
  });

  it('refuses a command longer than security -i reads, and line breaks', () => {
    const overhead = (macosAddCommand('gatehouse', 'tokens-abc', '') ?? '').length - 1;
    expect(
      macosAddCommand('gatehouse', 'tokens-abc', 'a'.repeat(MACOS_MAX_COMMAND_LENGTH - overhead)),
    ).toBeDefined();
    expect(
      macosAddCommand('gatehouse', 'tokens-abc', 'a'.repeat(MACOS_MAX_COMMAND_LENGTH - overhead + 1)),
    ).toBeUndefined();
    expect(macosAddCommand('gatehouse', 'tokens-abc', 'a\nb')).toBeUndefined();
  });
});
