/**
 * The challenge parameters a client acts on (internal: shared by the `Bearer` reader and the DPoP
 * binding, whose `DPoP` challenges carry the same parameters, RFC 9449 §7.1; not public API).
 */
import type { BearerChallenge } from './bearer-challenge.js';

const PARAMS = ['resource_metadata', 'scope', 'error', 'error_description'] as const;

/** The known parameters of a parsed challenge, frozen; unknown ones are dropped. */
export function challengeParams(params: Readonly<Record<string, string | undefined>>): BearerChallenge {
  const result: Record<string, string> = {};
  for (const name of PARAMS) {
    const value = params[name];
    if (value !== undefined) result[name] = value;
  }
  return Object.freeze(result) as BearerChallenge;
}
