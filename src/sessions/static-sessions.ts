import { normaliseAuthType } from '../config/auth-type.js';
import type { DhMcpConfig, StaticSessionConfig } from '../config/schema.js';
import { resolveToken } from '../config/tokens.js';
import { CommunitySession } from './community-session.js';

/** The sessions listed under community.sessions, in config order. */
export function staticSessionsFromConfig(
  config: DhMcpConfig,
  env: NodeJS.ProcessEnv = process.env,
): CommunitySession[] {
  return Object.entries(config.community?.sessions ?? {}).map(([name, s]) => staticSession(name, s, env));
}

function staticSession(name: string, s: StaticSessionConfig, env: NodeJS.ProcessEnv): CommunitySession {
  const where = `community.sessions.${name}`;
  const envPort = Number(env.DH_PORT);
  return new CommunitySession(
    name,
    'config',
    {
      host: s.host ?? env.DH_HOST ?? 'localhost',
      port: s.port ?? (Number.isInteger(envPort) && envPort > 0 ? envPort : 10000),
      useTls: s.use_tls ?? false,
      // Validated at load time, so this cannot throw here.
      auth: normaliseAuthType(s.auth_type ?? 'Anonymous', `${where}.auth_type`),
      token: () => resolveToken(s, where, env),
      tlsFiles: { ca: s.tls_root_certs, cert: s.client_cert_chain, key: s.client_private_key },
    },
    s.session_type,
  );
}
