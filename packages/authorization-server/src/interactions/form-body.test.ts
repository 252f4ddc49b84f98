import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormBodyError, readFormBody, singleField } from './form-body.js';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer(async (req, res) => {
    try {
      const form = await readFormBody(req, { limitBytes: 64 });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify([...form]));
    } catch (error) {
      res.statusCode = error instanceof FormBodyError ? error.status : 500;
      res.end(error instanceof FormBodyError ? error.code : 'unexpected');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function post(body: BodyInit, contentType = 'application/x-www-form-urlencoded') {
  return fetch(base, { method: 'POST', headers: { 'content-type': contentType }, body });
}

describe('readFormBody', () => {
  it('parses application/x-www-form-urlencoded like a browser sends it', async () => {
    const response = await post('a=1&b=x+y&c=%3Cz%3E&a=2');
    expect(await response.json()).toEqual([
      ['a', '1'],
      ['b', 'x y'],
      ['c', '<z>'],
      ['a', '2'],
    ]);
  });

  it('accepts a charset parameter and any case of the media type', async () => {
    const response = await post('a=1', 'Application/X-WWW-Form-Urlencoded; charset=UTF-8');
    expect(await response.json()).toEqual([['a', '1']]);
  });

  it('refuses other media types with 415', async () => {
    const response = await post('{"a":1}', 'application/json');
    expect(response.status).toBe(415);
    expect(await response.text()).toBe('ERR_FORM_CONTENT_TYPE');
  });

  it('refuses a body over the limit with 413 (declared length)', async () => {
    const response = await post(`a=${'x'.repeat(100)}`);
    expect(response.status).toBe(413);
    expect(await response.text()).toBe('ERR_FORM_TOO_LARGE');
  });

  it('refuses a body over the limit with 413 (chunked, no declared length)', async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('a=xxxxxxxxxxxxxx&'));
        controller.close();
      },
    });
    const response = await fetch(base, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
  });
});

describe('singleField', () => {
  it('returns a field given once, and undefined when missing or repeated', () => {
    const form = new URLSearchParams('a=1&b=2&b=3');
    expect(singleField(form, 'a')).toBe('1');
    expect(singleField(form, 'b')).toBeUndefined();
    expect(singleField(form, 'c')).toBeUndefined();
  });
});
