import { describe, expect, it } from 'vitest';
import { createGatewayLogger } from './logger.js';

describe('gateway logger', () => {
  it('redacts credentials at the top level, one level down and in headers', () => {
    const lines: string[] = [];
    const log = createGatewayLogger({ level: 'info', write: (line) => lines.push(line) });
    log.info(
      {
        token: 'tok-1',
        code: 'code-2',
        client_secret: 'secret-3',
        body: { access_token: 'tok-4', refresh_token: 'tok-5', password: 'pw-6' },
        req: { headers: { authorization: 'Bearer tok-7', cookie: 'sid=tok-8', 'user-agent': 'kept' } },
        sub: 'alice',
      },
      'request',
    );
    const line = lines.join('');
    for (let n = 1; n <= 8; n++) expect(line).not.toMatch(new RegExp(`-${n}\\b`));
    const record = JSON.parse(line) as {
      req: { headers: Record<string, string> };
      sub: string;
      token: string;
    };
    expect(record.token).toBe('[redacted]');
    expect(record.req.headers.authorization).toBe('[redacted]');
    expect(record.req.headers['user-agent']).toBe('kept');
    expect(record.sub).toBe('alice');
  });

  it('honours the level', () => {
    const lines: string[] = [];
    const log = createGatewayLogger({ level: 'warn', write: (line) => lines.push(line) });
    log.info('hidden');
    log.warn('shown');
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['shown']);
  });
});
