import { pino, type Logger } from 'pino';

/**
 * The one logger of the process. stdout belongs to the MCP stdio transport, so pino writes to stderr (fd 2)
 * synchronously: a log line must never be lost when the process exits right after it.
 * Level: DH_MCP_LOG_LEVEL, else LOG_LEVEL, else PYTHONLOGLEVEL (the reference's variable), else "info".
 */
function levelFromEnv(): string {
  const raw = (process.env.DH_MCP_LOG_LEVEL ?? process.env.LOG_LEVEL ?? process.env.PYTHONLOGLEVEL ?? 'info')
    .trim()
    .toLowerCase();
  const aliases: Record<string, string> = { warning: 'warn', critical: 'fatal', notset: 'trace' };
  const level = aliases[raw] ?? raw;
  return ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level) ? level : 'info';
}

export const logger: Logger = pino(
  {
    name: 'dh-mcp',
    level: levelFromEnv(),
    base: { pid: process.pid },
    // Belt and braces: never serialise a field whose name says it holds a secret.
    redact: {
      paths: ['auth_token', '*.auth_token', 'token', '*.token', 'password', '*.password', 'authorization'],
      censor: '[REDACTED]',
    },
  },
  pino.destination({ dest: 2, sync: true }),
);

export type { Logger };
