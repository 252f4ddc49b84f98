import { ProtocolError } from '@gatehouse/core';
import { describe, expect, it } from 'vitest';
import { processClientIdMetadataDocumentResponse, refusalDescription } from './fetch-document.js';

const URL_ = 'https://app.example.com/client.json';
const bounds = { minSeconds: 60, maxSeconds: 86_400 };
const document = {
  client_id: URL_,
  client_name: 'App',
  redirect_uris: ['http://127.0.0.1:3000/callback'],
};

function response(body: string, init: ResponseInit = {}): Response {
  return new Response(body, { status: 200, headers: { 'content-type': 'application/json' }, ...init });
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return refusalDescription(error);
  }
  throw new Error('expected a refusal');
}

describe('processClientIdMetadataDocumentResponse', () => {
  it('returns the validated document and its cache lifetime', async () => {
    const result = await processClientIdMetadataDocumentResponse(
      response(JSON.stringify(document), { headers: { 'cache-control': 'max-age=300' } }),
      URL_,
      bounds,
    );
    expect(result.document.client_name).toBe('App');
    expect(result.cacheSeconds).toBe(300);
  });

  it('refuses a status other than 200', async () => {
    expect(
      await refusal(processClientIdMetadataDocumentResponse(response('{}', { status: 404 }), URL_, bounds)),
    ).toBe('the client ID metadata document URL answered HTTP 404, not 200');
  });

  it('refuses a body that is not JSON', async () => {
    expect(await refusal(processClientIdMetadataDocumentResponse(response('<html>'), URL_, bounds))).toBe(
      'the client ID metadata document is not a JSON object',
    );
  });

  it('MUST: refuses a document whose client_id is not its URL', async () => {
    const other = { ...document, client_id: 'https://evil.example/client.json' };
    const text = await refusal(
      processClientIdMetadataDocumentResponse(response(JSON.stringify(other)), URL_, bounds),
    );
    expect(text).toBe(
      'the client ID metadata document "client_id" does not equal the URL it was fetched from',
    );
    expect(text).not.toContain('evil.example');
  });

  it('MUST: refuses a document without redirect_uris or client_name, naming the field', async () => {
    const { redirect_uris: _r, ...noRedirects } = document;
    expect(
      await refusal(
        processClientIdMetadataDocumentResponse(response(JSON.stringify(noRedirects)), URL_, bounds),
      ),
    ).toMatch(/"redirect_uris"/);
    const { client_name: _n, ...noName } = document;
    expect(
      await refusal(processClientIdMetadataDocumentResponse(response(JSON.stringify(noName)), URL_, bounds)),
    ).toMatch(/"client_name"/);
  });
});

describe('refusalDescription', () => {
  it('describes each safe-fetch refusal without echoing the URL', () => {
    const cases: [ProtocolError, RegExp][] = [
      [new ProtocolError('ERR_FETCH_REFUSED', 'x', { attribute: 'location' }), /redirect/],
      [
        new ProtocolError('ERR_FETCH_REFUSED', 'x', { attribute: 'address' }),
        /private, loopback or reserved/,
      ],
      [new ProtocolError('ERR_FETCH_REFUSED', 'x', { attribute: 'url' }), /https to a public host/],
      [new ProtocolError('ERR_FETCH_TIMEOUT', 'x'), /time limit/],
      [new ProtocolError('ERR_RESPONSE_TOO_LARGE', 'x'), /larger than/],
      [new ProtocolError('ERR_FETCH_FAILED', 'x'), /could not be fetched/],
    ];
    for (const [error, expected] of cases) expect(refusalDescription(error)).toMatch(expected);
  });

  it('never shows an attribute that is not a plain field name', () => {
    const error = new ProtocolError('ERR_INVALID_METADATA', 'x', { attribute: '<script>' });
    expect(refusalDescription(error)).toBe('the client ID metadata document is invalid');
    expect(refusalDescription(new Error('<b>'))).toBe('the client ID metadata document could not be fetched');
  });
});
