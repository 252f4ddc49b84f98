import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FakeTerminal, pipedStdin } from './admin-test-io.test-helpers.js';
import { HiddenLineReader, MAX_PASSWORD_BYTES, readFirstLine } from './password-input.js';

describe('HiddenLineReader (terminal prompt without echo)', () => {
  it('reads a line in raw mode and switches raw mode off after it', async () => {
    const terminal = new FakeTerminal();
    const reader = new HiddenLineReader(terminal);
    const line = reader.readLine();
    expect(terminal.isRaw).toBe(true);
    terminal.write('pass word\r');
    expect(await line).toBe('pass word');
    expect(terminal.rawModeCalls).toEqual([true, false]);
  });

  it('applies Backspace and Ctrl+U, ignores arrow keys and other control characters', async () => {
    const terminal = new FakeTerminal();
    terminal.write('wrong\u0015ri\u001b[Dght\u001b[1;5C\u0007x\bx\u007f!\n');
    expect(await new HiddenLineReader(terminal).readLine()).toBe('right!');
  });

  it('decodes a multi-byte character split across chunks, and keeps a pasted second line', async () => {
    const terminal = new FakeTerminal();
    const bytes = Buffer.from('pässwörd\rsecond\r');
    terminal.write(bytes.subarray(0, 2));
    terminal.write(bytes.subarray(2));
    const reader = new HiddenLineReader(terminal);
    expect(await reader.readLine()).toBe('pässwörd');
    expect(await reader.readLine()).toBe('second');
  });

  it('cancels on Ctrl+C, on Ctrl+D at an empty line, and when the terminal closes', async () => {
    const ctrlC = new FakeTerminal();
    ctrlC.write('abc\u0003');
    await expect(new HiddenLineReader(ctrlC).readLine()).rejects.toMatchObject({ exitCode: 130 });
    expect(ctrlC.isRaw).toBe(false);
    const ctrlD = new FakeTerminal();
    ctrlD.write('\u0004');
    await expect(new HiddenLineReader(ctrlD).readLine()).rejects.toMatchObject({ exitCode: 130 });
    const closed = new FakeTerminal();
    closed.end('abc');
    await expect(new HiddenLineReader(closed).readLine()).rejects.toThrow(/closed before a password/);
  });
});

describe('readFirstLine (--password-stdin)', () => {
  it('returns the first line without LF or CRLF, keeping spaces', async () => {
    expect(await readFirstLine(pipedStdin('  spaced out  \r\nrest\n'), 100)).toBe('  spaced out  ');
    expect(await readFirstLine(pipedStdin('no newline at end'), 100)).toBe('no newline at end');
    expect(await readFirstLine(pipedStdin(''), 100)).toBe('');
  });

  it('reads across chunks and stops at the first line feed', async () => {
    const stream = new PassThrough();
    const line = readFirstLine(stream, 100);
    stream.write('first ');
    stream.write('half\nsecond');
    expect(await line).toBe('first half');
  });

  it('refuses an over-long line and invalid UTF-8 without quoting them', async () => {
    const long = 'x'.repeat(MAX_PASSWORD_BYTES + 1);
    await expect(readFirstLine(pipedStdin(long), MAX_PASSWORD_BYTES)).rejects.toThrow(
      /longer than 4096 bytes/,
    );
    const stream = new PassThrough();
    const bad = readFirstLine(stream, 100);
    stream.end(Buffer.from([0x70, 0xff, 0x0a]));
    await expect(bad).rejects.toThrow(/not valid UTF-8/);
  });
});
