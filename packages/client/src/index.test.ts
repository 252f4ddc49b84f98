import { describe, expect, it } from 'vitest';
import * as client from './index.js';

describe('@gatehouse/client public API', () => {
  it('exports the request/process pairs and the orchestrators, not the internals', () => {
    expect(Object.keys(client).sort()).toEqual([
      'AuthorizationDenied',
      'AuthorizationFailed',
      'AuthorizationTimeout',
      'RegistrationImpossible',
      'assertPkceS256',
      'authorizationCodeGrantRequest',
      'authorizationServerMetadataRequest',
      'authorizeWithBrowser',
      'browserCommand',
      'buildAuthorizationUrl',
      'clientCredentialsGrantRequest',
      'codeChallengeS256',
      'discover',
      'discoverAuthorizationServer',
      'discoverLegacyAuthorizationServer',
      'discoverProtectedResource',
      'dynamicClientMetadata',
      'generateCodeVerifier',
      'generatePkce',
      'generateState',
      'isNativeRedirectUri',
      'legacyAuthorizationServerMetadataUrl',
      'legacyDefaultMetadata',
      'presentAuthorizationUrl',
      'processAuthorizationCallback',
      'processAuthorizationServerMetadataResponse',
      'processProtectedResourceMetadataResponse',
      'processRegistrationResponse',
      'processTokenResponse',
      'protectedResourceMetadataCandidates',
      'protectedResourceMetadataRequest',
      'readBearerChallenge',
      'refreshTokenGrantRequest',
      'registrationRequest',
      'resolveClientRegistration',
      'selectClientAuthMethod',
      'selectScopes',
      'splitScope',
      'startLoopbackListener',
    ]);
  });
});
