/**
 * The error for an authorization server that offers an MCP client no way to obtain a `client_id` on
 * its own (MCP 2025-11-25 § Client Registration Approaches, last step: "prompt the user").
 */
import { ProtocolError } from '@gatehouse/core';
import { describeUrl } from '../http.js';

const brand = Symbol.for('gatehouse.RegistrationImpossible');

/** Why registration is impossible. */
export interface RegistrationImpossibleDetails {
  /** The authorization server's issuer. */
  readonly issuer: string;
  /** Whether the caller offered a Client ID Metadata Document URL (the server does not support CIMD). */
  readonly clientMetadataUrlGiven: boolean;
}

/**
 * No pre-registered client, no usable Client ID Metadata Document (not offered by the caller, or
 * the server does not advertise `client_id_metadata_document_supported: true`), and no
 * `registration_endpoint` in the authorization server metadata.
 *
 * Family: a {@link ProtocolError} with code `ERR_MISSING_ATTRIBUTE` and attribute
 * `registration_endpoint` (what an automatic client would need from the metadata), so code that
 * handles every `ProtocolError` handles this one. It is its own class (with its own `Symbol.for`
 * brand) because the remedy is a person's, not a retry: the message says what the user can do —
 * set `MCP_CLIENT_ID` / `MCP_CLIENT_SECRET` (or pass `preRegistered`), pass `clientMetadataUrl`, or
 * ask the server's operator. `x instanceof RegistrationImpossible` is true only for this class; its
 * `name` stays `'ProtocolError'` (the base class fixes it).
 *
 * @example
 * try { await resolveClientRegistration(options); }
 * catch (error) { if (error instanceof RegistrationImpossible) showToUser(error.message); else throw error; }
 */
export class RegistrationImpossible extends ProtocolError {
  /** The issuer of the authorization server that cannot be registered with. */
  readonly issuer: string;

  constructor(details: RegistrationImpossibleDetails) {
    const server = describeUrl(details.issuer);
    const cimd = details.clientMetadataUrlGiven
      ? 'it does not advertise Client ID Metadata Document support, so "clientMetadataUrl" cannot be used'
      : 'no "clientMetadataUrl" was given';
    super(
      'ERR_MISSING_ATTRIBUTE',
      `cannot register with the authorization server ${server}: it has no "registration_endpoint" (no dynamic client registration), and ${cimd}. ` +
        'To continue: register a client with the server operator and set MCP_CLIENT_ID (and MCP_CLIENT_SECRET for a confidential client) or pass "preRegistered"; ' +
        'or pass "clientMetadataUrl" if the server supports Client ID Metadata Documents; ' +
        'or ask the server operator to enable dynamic client registration or Client ID Metadata Documents.',
      {
        attribute: 'registration_endpoint',
        expected: 'registration_endpoint, or client_id_metadata_document_supported: true',
        actual: undefined,
      },
    );
    this.issuer = details.issuer;
    Object.defineProperty(this, brand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && brand in value;
  }
}
