/**
 * Passwords out of everything the CLI prints about an error: a database URL typed in the wrong
 * place (`gatehouse grants list postgres://app:s3cret@db/gatehouse`), a server URL with userinfo,
 * or a driver message that quotes one. The project's baseline: secrets never appear in messages.
 */
import { redactConnectionString } from '@gatehouse/authorization-server';

/** `text` with the password (and `password`-like query parameters) of every URL in it replaced by `***`. */
export function redactUrls(text: string): string {
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s'"]+/gi, (url) => redactConnectionString(url));
}
