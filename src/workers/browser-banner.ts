import type { CredentialRetrievalMode } from '../config/schema.js';
import { logger } from '../util/logger.js';
import type { DynamicSession } from './dynamic-session.js';

const RULE = '='.repeat(70);

/**
 * The one deliberate exception to "no secrets in logs": when dh-mcp generated the PSK, a person has no other
 * way to learn it, so one WARNING record carries the browser URL with the token. Provided tokens are never
 * echoed; the person already has them.
 */
export function logBrowserAccess(s: DynamicSession, mode: CredentialRetrievalMode): void {
  const assistantCan = mode === 'dynamic_only' || mode === 'all';
  const lines = [
    RULE,
    `Deephaven worker '${s.name}' (${s.id}) is ready - browser access:`,
    `   Port: ${s.handle.endpoint.port}`,
    `   Base URL: ${s.publicUrl}`,
  ];
  if (s.tokenGenerated) {
    lines.push(`   Browser URL: ${s.credentials().connection_url_with_auth}`);
  } else if (s.endpoint.auth === 'PSK') {
    lines.push('   Log in with the PSK you configured (it is not printed here).');
  }
  lines.push(
    '',
    assistantCan
      ? `   Assistants may read these credentials with session_community_credentials (security.community.credential_retrieval_mode is "${mode}").`
      : `   Assistants cannot read these credentials (security.community.credential_retrieval_mode is "${mode}"); set it to "dynamic_only" or "all" in deephaven_mcp.json to allow session_community_credentials.`,
    RULE,
  );
  const message = lines.join('\n');
  if (s.tokenGenerated) logger.warn(message);
  else logger.info(message);
}
