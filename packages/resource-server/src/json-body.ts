/**
 * Reading a request body once, with a size bound: as JSON for the scope check and the MCP handler,
 * as bytes for a relay that forwards them.
 *
 * The result distinguishes "no usable body" (`value: null`: empty, not JSON, wrong media type) from
 * "too large" (413) so that callers never answer a 500 for client input. Does NOT validate the
 * JSON-RPC shape.
 */

/** Defaults for body reading; the same bound as the MCP SDK's `maxRequestBodySize`. */
export const BODY_DEFAULTS = {
  /** Largest body read, in bytes (4 MiB). */
  maxBodyBytes: 4 * 1024 * 1024,
} as const;

/** Outcome of {@link readJsonBody}. */
export type JsonBodyResult =
  /** `value` is the parsed JSON; `null` when the body is absent, empty or not JSON (`parseError` then tells which). */
  | { ok: true; value: unknown; parseError: boolean }
  /** The body is larger than the bound. */
  | { ok: false; status: 413 };

/** Outcome of {@link readBodyBytes}: the body's bytes (empty when there is none), or 413. */
export type BodyBytesResult = { ok: true; bytes: Uint8Array } | { ok: false; status: 413 };

/**
 * Reads `request`'s body as bytes (consuming it; pass a clone to keep the original readable),
 * refusing it with `status: 413` when it is larger than `maxBytes` (default
 * {@link BODY_DEFAULTS}`.maxBodyBytes`): at once when `Content-Length` says so, otherwise as soon
 * as the count crosses the bound, cancelling the rest of the stream. Does NOT look at the bytes.
 *
 * @example
 * const read = await readBodyBytes(request);
 * if (!read.ok) return jsonRpcErrorResponse(413, -32600, 'Request body too large');
 */
export async function readBodyBytes(
  request: Request,
  maxBytes: number = BODY_DEFAULTS.maxBodyBytes,
): Promise<BodyBytesResult> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    discard(request.body);
    return { ok: false, status: 413 };
  }
  if (Number.isFinite(declared)) {
    // HTTP framing bounds the body by its Content-Length, which is within the limit: read it in one
    // go. `arrayBuffer()` also keeps the fast path of adapters such as @hono/node-server, whose
    // lightweight Request would otherwise build a full web Request just to expose `body`.
    return { ok: true, bytes: new Uint8Array(await request.arrayBuffer()) };
  }
  if (request.body === null) return { ok: true, bytes: new Uint8Array() };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      // Not awaited: cancelling one branch of a teed (cloned) stream settles only when the other
      // branch is cancelled too.
      reader.cancel().catch(() => {});
      return { ok: false, status: 413 };
    }
    chunks.push(value);
  }
  return { ok: true, bytes: Buffer.concat(chunks) };
}

/**
 * Reads and parses `request`'s body (consuming it; pass a clone to keep the original readable),
 * within the bound of {@link readBodyBytes}.
 */
export async function readJsonBody(
  request: Request,
  maxBytes: number = BODY_DEFAULTS.maxBodyBytes,
): Promise<JsonBodyResult> {
  const read = await readBodyBytes(request, maxBytes);
  return read.ok ? parseJsonBytes(read.bytes) : read;
}

/** Cancels a body stream we will not read, without waiting (see {@link readBodyBytes}). */
export function discard(body: ReadableStream<Uint8Array> | null): void {
  body?.cancel().catch(() => {});
}

/** One decoder for every body: a non-streaming `decode` keeps no state between calls. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Parses UTF-8 JSON bytes; `value: null, parseError: true` when they are not JSON. */
export function parseJsonBytes(bytes: Uint8Array): JsonBodyResult {
  if (bytes.byteLength === 0) return { ok: true, value: null, parseError: false };
  try {
    const text = STRICT_UTF8.decode(bytes);
    return { ok: true, value: JSON.parse(text) as unknown, parseError: false };
  } catch {
    return { ok: true, value: null, parseError: true };
  }
}

/** The JSON-RPC "Parse error" answer (HTTP 400, code -32700, no `id`). */
export function parseErrorResponse(): Response {
  return jsonRpcErrorResponse(400, -32700, 'Parse error: the request body is not valid JSON');
}

/** The answer for a body over the bound (HTTP 413, JSON-RPC error without `id`). */
export function bodyTooLargeResponse(): Response {
  return jsonRpcErrorResponse(413, -32600, 'Request body too large');
}

/**
 * A JSON-RPC 2.0 error response (§ 5.1) with `id: null`, for answers given before a request id
 * could be read. Sent as `application/json` with `Cache-Control: no-store`.
 *
 * @example
 * jsonRpcErrorResponse(404, -32601, 'Not found');
 */
export function jsonRpcErrorResponse(status: number, code: number, message: string): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
  });
}
