import { describe, expect, it } from 'vitest';
import { parseErrorResponse, readBodyBytes, readJsonBody } from './json-body.js';

const post = (body: BodyInit | null, headers: Record<string, string> = {}) =>
  new Request('http://127.0.0.1/mcp', { method: 'POST', body, headers });

describe('readJsonBody', () => {
  it('parses JSON', async () => {
    expect(await readJsonBody(post('{"a":1}'))).toEqual({ ok: true, value: { a: 1 }, parseError: false });
  });
  it('reports empty and missing bodies as null without a parse error', async () => {
    expect(await readJsonBody(post(''))).toEqual({ ok: true, value: null, parseError: false });
    expect(await readJsonBody(post(null))).toEqual({ ok: true, value: null, parseError: false });
  });
  it('reports invalid JSON and invalid UTF-8 as parse errors', async () => {
    expect(await readJsonBody(post('{'))).toEqual({ ok: true, value: null, parseError: true });
    expect(await readJsonBody(post(new Uint8Array([0x22, 0xff, 0x22])))).toEqual({
      ok: true,
      value: null,
      parseError: true,
    });
  });
  it('stops at the bound, by Content-Length and by counting', async () => {
    expect(await readJsonBody(post('"0123456789"'), 5)).toEqual({ ok: false, status: 413 });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('"0123'));
        controller.enqueue(new TextEncoder().encode('456789"'));
        controller.close();
      },
    });
    const request = new Request('http://127.0.0.1/mcp', {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(await readJsonBody(request, 8)).toEqual({ ok: false, status: 413 });
  });
});

describe('readBodyBytes', () => {
  it('returns the bytes as sent, and no bytes for a missing body', async () => {
    const read = await readBodyBytes(post(new Uint8Array([0x22, 0xff, 0x22])));
    expect(read.ok && [...read.bytes]).toEqual([0x22, 0xff, 0x22]);
    expect(await readBodyBytes(post(null))).toEqual({ ok: true, bytes: new Uint8Array() });
    expect(await readBodyBytes(post('0123456789'), 5)).toEqual({ ok: false, status: 413 });
  });
});

describe('parseErrorResponse', () => {
  it('is a 400 JSON-RPC parse error without id', async () => {
    const response = parseErrorResponse();
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 }, id: null });
  });
});
