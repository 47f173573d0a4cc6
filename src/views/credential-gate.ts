import type { CredentialRetrievalMode } from '../config/schema.js';
import type { CommunitySession } from '../sessions/community-session.js';
import { credentialRefusal } from '../tools/creation-tools.js';
import { logger } from '../util/logger.js';

/**
 * A page URL that logs into a worker is a credential in the person's hands, whichever channel carries it (a view,
 * a link, a resource), so it follows the rule of session_community_credentials: the session's PSK when
 * credential_retrieval_mode allows that session, else nothing. Each decision is logged (never the token).
 */
export function tokenForPerson(
  mode: CredentialRetrievalMode,
  s: CommunitySession,
  purpose: string,
): string | undefined {
  if (s.endpoint.auth !== 'PSK') return undefined;
  const refusal = credentialRefusal(mode, s);
  logger.warn(
    { session: s.id, mode, decision: refusal ? 'DENIED' : 'ALLOWED', purpose },
    'token for a page URL',
  );
  return refusal ? undefined : s.endpoint.token() || undefined;
}
