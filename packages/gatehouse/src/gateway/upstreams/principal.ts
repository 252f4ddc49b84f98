/** The verified-token fields that identify who is calling (no token). */
export interface PrincipalFields {
  readonly issuer?: string;
  readonly subject?: string;
  readonly clientId?: string;
}

/**
 * The key under which a principal's upstream process or session is kept: issuer, subject and
 * client together, so that two users — or one user through two different clients — never share
 * one. JSON-encoded so that no choice of values can make two different triples collide.
 */
export function principalKey(auth: PrincipalFields | undefined): string {
  return JSON.stringify([auth?.issuer ?? '', auth?.subject ?? '', auth?.clientId ?? '']);
}

/** A short, log-safe description of a principal: subject and client, never the token. */
export function describePrincipal(auth: PrincipalFields | undefined): { sub: string; client_id: string } {
  return { sub: auth?.subject ?? '(none)', client_id: auth?.clientId ?? '(none)' };
}
