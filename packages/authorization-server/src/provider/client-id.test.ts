import { describe, expect, it } from 'vitest';
import { newClientId } from './client-id.js';

describe('newClientId', () => {
  it('is 43 base64url characters that never begin with "-" or "_"', () => {
    // With a plain base64url draw, 4000 ids would hold about 125 with such a first character.
    const ids = Array.from({ length: 4000 }, newClientId);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{42}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps "-" and "_" everywhere after the first character', () => {
    const rest = Array.from({ length: 2000 }, newClientId).join('');
    expect(rest).toContain('-');
    expect(rest).toContain('_');
  });
});
