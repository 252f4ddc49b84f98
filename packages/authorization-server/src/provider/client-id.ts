/**
 * The `client_id` of a dynamically registered client (RFC 7591 §3.2.1): 256 random bits as 43
 * base64url characters, never beginning with '-' or '_', so that no command line (`gatehouse clients
 * revoke <id>`, `--client-id <id>` of any tool) or shell reads one as an option.
 */
import { randomBytes } from 'node:crypto';

const STARTS_WITH_LETTER_OR_DIGIT = /^[A-Za-z0-9]/;

/** A new client id; ids drawn with a leading '-' or '_' are drawn again (1 in 32), so the rest stay uniform. */
export function newClientId(): string {
  for (;;) {
    const id = randomBytes(32).toString('base64url');
    if (STARTS_WITH_LETTER_OR_DIGIT.test(id)) return id;
  }
}
