import { describe, expect, it } from 'vitest';
import * as client from './index.js';

describe('@gatehouse/client public API', () => {
  it('exports the request/process pairs and the orchestrators, not the internals', () => {
    expect(Object.keys(client).sort()).toEqual([
      'RegistrationImpossible',
      'assertPkceS256',
      'authorizationServerMetadataRequest',
      'discover',
      'discoverAuthorizationServer',
      'discoverLegacyAuthorizationServer',
      'discoverProtectedResource',
      'dynamicClientMetadata',
      'isNativeRedirectUri',
      'legacyAuthorizationServerMetadataUrl',
      'legacyDefaultMetadata',
      'processAuthorizationServerMetadataResponse',
      'processProtectedResourceMetadataResponse',
      'processRegistrationResponse',
      'protectedResourceMetadataCandidates',
      'protectedResourceMetadataRequest',
      'readBearerChallenge',
      'registrationRequest',
      'resolveClientRegistration',
      'splitScope',
    ]);
  });
});
