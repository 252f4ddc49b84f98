/** Removing a local account together with everything that lets it act: grants, tokens, sessions. */
import { type AccountRecord, GRANT_TOKEN_MODELS, type Storage } from '@gatehouse/authorization-server';
import { listGrants, revokeGrant } from './grants.js';

/** What {@link removeAccount} did. */
export interface AccountRemoval {
  readonly grants: number;
  readonly sessions: number;
}

/**
 * Removes an account, after revoking every grant it gave (with their tokens), any other stored
 * token of it, and its sign-in sessions at the authorization server. Issued JWT access tokens stay
 * valid at resource servers until they expire (10 minutes by default): nothing stored can recall them.
 */
export async function removeAccount(storage: Storage, account: AccountRecord): Promise<AccountRemoval> {
  let grants = 0;
  for (const grant of await listGrants(storage)) {
    if (grant.accountId !== account.id) continue;
    await revokeGrant(storage, grant.id);
    grants++;
  }
  for (const name of GRANT_TOKEN_MODELS) {
    const model = storage.model(name);
    for (const record of await model.list()) {
      if (record.payload.accountId === account.id) await model.destroy(record.id);
    }
  }
  let sessions = 0;
  const sessionModel = storage.model('Session');
  for (const record of await sessionModel.list()) {
    if (record.payload.accountId !== account.id) continue;
    await sessionModel.destroy(record.id);
    sessions++;
  }
  await storage.accounts.remove(account.id);
  return { grants, sessions };
}
