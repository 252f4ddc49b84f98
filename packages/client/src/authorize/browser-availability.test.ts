import { describe, expect, it } from 'vitest';
import { canOpenBrowser } from './browser-availability.js';

const SSH = { SSH_CONNECTION: '203.0.113.9 52144 10.0.0.5 22' };

describe('canOpenBrowser', () => {
  it('Linux and other Unix systems: only with a graphical session (DISPLAY or WAYLAND_DISPLAY)', () => {
    expect(canOpenBrowser({}, 'linux')).toBe(false);
    expect(canOpenBrowser({ DISPLAY: '' }, 'linux')).toBe(false);
    expect(canOpenBrowser({ DISPLAY: ':0' }, 'linux')).toBe(true);
    expect(canOpenBrowser({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toBe(true);
    expect(canOpenBrowser({}, 'freebsd')).toBe(false);
    expect(canOpenBrowser({ DISPLAY: ':0' }, 'freebsd')).toBe(true);
  });

  it('macOS and Windows: always, unless in an SSH session', () => {
    expect(canOpenBrowser({}, 'darwin')).toBe(true);
    expect(canOpenBrowser({}, 'win32')).toBe(true);
    expect(canOpenBrowser(SSH, 'darwin')).toBe(false);
    expect(canOpenBrowser({ SSH_TTY: '/dev/ttys003' }, 'win32')).toBe(false);
  });

  it('an SSH session wins over a (forwarded) display', () => {
    expect(canOpenBrowser({ ...SSH, DISPLAY: 'localhost:10.0' }, 'linux')).toBe(false);
    expect(canOpenBrowser({ SSH_TTY: '/dev/pts/1', WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toBe(false);
    expect(canOpenBrowser({ SSH_CONNECTION: '', DISPLAY: ':0' }, 'linux')).toBe(true);
  });
});
