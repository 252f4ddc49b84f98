/**
 * Metadata documents of OAuth for MCP, as types plus validators that take `unknown` and name the
 * first bad field: Protected Resource Metadata (RFC 9728), authorization server metadata (RFC 8414 /
 * OpenID Connect Discovery), client metadata and registration responses (RFC 7591), and Client ID
 * Metadata Documents (CIMD draft).
 */

export {
  type AuthorizationServerMetadata,
  type AuthorizationServerMetadataExpectations,
  validateAuthorizationServerMetadata,
} from './authorization-server-metadata.js';
export {
  type ClientIdMetadataDocument,
  type ClientIdMetadataDocumentExpectations,
  type ClientIdMetadataDocumentUrlOptions,
  isClientIdMetadataDocumentUrl,
  validateClientIdMetadataDocument,
} from './client-id-metadata-document.js';
export {
  type ClientMetadata,
  type ClientRegistrationResponse,
  type JsonWebKeySet,
  validateClientMetadata,
  validateClientRegistrationResponse,
} from './client-metadata.js';
export {
  type ProtectedResourceMetadata,
  type ProtectedResourceMetadataExpectations,
  validateProtectedResourceMetadata,
} from './protected-resource-metadata.js';
