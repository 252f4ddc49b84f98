/**
 * Turns the raw undici response into what `safeFetch` returns: redirects refused, size limit
 * enforced on the declared and the decoded length, body read in full into a web `Response`.
 */
import type { Response as UndiciResponse } from 'undici';
import { ProtocolError } from '../errors.js';
import { describeUrl } from './check-url.js';

/** Statuses that `fetch` would follow (WHATWG Fetch § redirect status). */
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
/** Statuses whose response has no body (WHATWG Fetch § null body status). */
const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 103, 204, 205, 304]);

function redirectRefused(response: UndiciResponse, url: URL): ProtocolError {
  let target: string | undefined;
  try {
    const location = response.headers.get('location');
    target = location === null ? undefined : describeUrl(new URL(location, url));
  } catch {
    target = undefined;
  }
  return new ProtocolError(
    'ERR_FETCH_REFUSED',
    `${describeUrl(url)} answered ${response.status}, a redirect; safeFetch never follows redirects: use the final URL`,
    { attribute: 'location', expected: 'a response that is not a redirect', actual: target },
  );
}

function tooLarge(url: URL, limit: number, declared?: number): ProtocolError {
  return new ProtocolError(
    'ERR_RESPONSE_TOO_LARGE',
    `the response from ${describeUrl(url)} is larger than ${limit} bytes (safeFetch policy "maxResponseBytes")`,
    {
      attribute: declared === undefined ? 'body' : 'content-length',
      expected: `at most ${limit} bytes`,
      actual: declared,
    },
  );
}

/** Why `response` cannot be returned before its body is read, or `undefined` when it can. */
function refusal(response: UndiciResponse, url: URL, limit: number): ProtocolError | undefined {
  if (REDIRECT_STATUSES.has(response.status)) return redirectRefused(response, url);
  if (response.status < 200 || response.status > 599) {
    return new ProtocolError(
      'ERR_INVALID_RESPONSE',
      `${describeUrl(url)} answered with an unusable HTTP status`,
      {
        attribute: 'status',
        expected: 'a status from 200 to 599',
        actual: response.status,
      },
    );
  }
  const declared = response.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limit) {
    return tooLarge(url, limit, Number(declared));
  }
  return undefined;
}

/** Reads the whole body, refusing it as soon as it passes `limit` bytes. */
async function readBody(
  body: UndiciResponse['body'],
  limit: number,
  url: URL,
): Promise<Uint8Array<ArrayBuffer>> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      reader.cancel().catch(() => {});
      throw tooLarge(url, limit);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * Checks `response` and reads its body (at most `limit` bytes) into a web `Response` with the same
 * status and headers. Throws `ProtocolError`: `ERR_FETCH_REFUSED` on a redirect,
 * `ERR_RESPONSE_TOO_LARGE`, `ERR_INVALID_RESPONSE` on a status a `Response` cannot carry.
 */
export async function readResponse(response: UndiciResponse, url: URL, limit: number): Promise<Response> {
  const error = refusal(response, url, limit);
  if (error !== undefined) {
    response.body?.cancel().catch(() => {});
    throw error;
  }
  const bytes = await readBody(response.body, limit, url);
  return new Response(NULL_BODY_STATUSES.has(response.status) ? null : bytes, {
    status: response.status,
    statusText: response.statusText,
    headers: [...response.headers],
  });
}
