/**
 * Reads an `application/x-www-form-urlencoded` request body (HTML Living Standard §4.10.21.7,
 * WHATWG URL §5 "application/x-www-form-urlencoded parsing") with a size limit.
 *
 * It does NOT check CSRF tokens or field values: callers do (see csrf.ts).
 */
import type { IncomingMessage } from 'node:http';

/** Default body limit: 16 KiB, far more than any of the pages' forms need. */
export const DEFAULT_FORM_LIMIT_BYTES = 16 * 1024;

/** Why a form body was refused; `status` is the HTTP status to answer with. */
export class FormBodyError extends Error {
  override readonly name = 'FormBodyError';
  readonly code: 'ERR_FORM_TOO_LARGE' | 'ERR_FORM_CONTENT_TYPE' | 'ERR_FORM_READ';
  readonly status: 413 | 415 | 400;

  constructor(code: FormBodyError['code'], message: string) {
    super(message);
    this.code = code;
    this.status = code === 'ERR_FORM_TOO_LARGE' ? 413 : code === 'ERR_FORM_CONTENT_TYPE' ? 415 : 400;
  }
}

/**
 * Resolves with the parsed form fields. Rejects with {@link FormBodyError} when the media type is
 * not `application/x-www-form-urlencoded`, when the body (declared or actual) exceeds `limitBytes`,
 * or when the stream fails. Invalid UTF-8 becomes U+FFFD (as browsers do); never throws on content.
 */
export async function readFormBody(
  req: IncomingMessage,
  options: { readonly limitBytes?: number } = {},
): Promise<URLSearchParams> {
  const limit = options.limitBytes ?? DEFAULT_FORM_LIMIT_BYTES;
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/x-www-form-urlencoded') {
    req.resume();
    throw new FormBodyError(
      'ERR_FORM_CONTENT_TYPE',
      'The form must be sent as application/x-www-form-urlencoded.',
    );
  }
  const declared = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new FormBodyError('ERR_FORM_TOO_LARGE', 'The form is too large.');
  }
  const body = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer | string) => {
      if (failed) return; // keep draining so that the response can still be written
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buffer.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(new FormBodyError('ERR_FORM_TOO_LARGE', 'The form is too large.'));
        return;
      }
      chunks.push(buffer);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', () => {
      if (!failed) reject(new FormBodyError('ERR_FORM_READ', 'The form could not be read.'));
      failed = true;
    });
  });
  return new URLSearchParams(body.toString('utf8'));
}

/** The single value of a field; undefined when the field is missing or repeated (ambiguous). */
export function singleField(form: URLSearchParams, name: string): string | undefined {
  const values = form.getAll(name);
  return values.length === 1 ? values[0] : undefined;
}
