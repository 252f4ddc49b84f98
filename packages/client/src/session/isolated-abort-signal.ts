/**
 * A private `AbortSignal` per request. The MCP SDK's Streamable HTTP client transport passes one
 * long-lived signal (its own `AbortController`'s) to every `fetch`, and Node's fetch (undici) adds
 * an abort listener to the signal it is given for each request and drops it only when the request
 * is garbage collected. On a long session the transport's signal collects thousands of listeners and
 * Node prints `MaxListenersExceededWarning`. Here each request gets its own signal, aborted when the
 * caller's signal aborts; the one listener this puts on the caller's signal is removed as soon as the
 * request is over: when fetch fails, when the response has no body, or when its body has been read
 * to the end, failed or been cancelled.
 */
import type { FetchLike } from './auth-fetch-options.js';

/** Statuses a constructed `Response` may not have a body with (Fetch standard). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** `fetch`, with each request's abort signal isolated from the caller's (see the file comment). */
export function withIsolatedAbortSignals(fetchFn: FetchLike): FetchLike {
  return async (input, init) => {
    const shared = init?.signal;
    if (shared === undefined || shared === null) return fetchFn(input, init);
    if (shared.aborted) return fetchFn(input, init);
    const own = new AbortController();
    const forward = () => own.abort(shared.reason);
    shared.addEventListener('abort', forward, { once: true });
    const release = () => shared.removeEventListener('abort', forward);
    let response: Response;
    try {
      response = await fetchFn(input, { ...init, signal: own.signal });
    } catch (error) {
      release();
      throw error;
    }
    if (response.body === null || NULL_BODY_STATUSES.has(response.status)) {
      release();
      return response;
    }
    return withBodyEnd(response, response.body, release);
  };
}

/** `response` with a body that calls `release` once it ends, fails or is cancelled. */
function withBodyEnd(response: Response, body: ReadableStream<Uint8Array>, release: () => void): Response {
  const reader = body.getReader();
  const relayed = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          release();
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        release();
        controller.error(error);
      }
    },
    cancel(reason) {
      release();
      return reader.cancel(reason);
    },
  });
  const wrapped = new Response(relayed, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  // A constructed Response has an empty `url` and `redirected: false`; keep what fetch reported.
  Object.defineProperty(wrapped, 'url', { value: response.url });
  Object.defineProperty(wrapped, 'redirected', { value: response.redirected });
  return wrapped;
}
