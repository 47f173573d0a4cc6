import os from 'node:os';
import path from 'node:path';

/**
 * The user's data directory for dh-mcp: $DH_MCP_DATA_DIR, else $XDG_DATA_HOME/dh-mcp, else
 * ~/.local/share/dh-mcp. Every server of one user shares it, so a server started after a crash finds what the
 * dead one left behind.
 */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DH_MCP_DATA_DIR) return path.resolve(env.DH_MCP_DATA_DIR);
  const base = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'dh-mcp');
}

export function instancesDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(dataDir(env), 'instances');
}
