import { readFile } from 'node:fs/promises';
import path from 'node:path';
import JSON5 from 'json5';
import { ConfigSchema, type DhMcpConfig } from './schema.js';
import { ConfigError, describeIssues } from './errors.js';
import { normaliseAuthType } from './auth-type.js';

export const CONFIG_ENV_VAR = 'DH_MCP_CONFIG_FILE';
export const DEFAULT_CONFIG_FILE = 'deephaven_mcp.json';

export interface LoadedConfig {
  config: DhMcpConfig;
  /** The file it came from, or "embedded default". */
  source: string;
}

export type ConfigLocation = { kind: 'file'; path: string; fromEnv: boolean } | { kind: 'embedded' };

/** Discovery order: $DH_MCP_CONFIG_FILE, else ./deephaven_mcp.json, else the embedded default. */
export async function locateConfig(
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): Promise<ConfigLocation> {
  const fromEnv = env[CONFIG_ENV_VAR];
  if (fromEnv !== undefined && fromEnv.trim() !== '')
    return { kind: 'file', path: path.resolve(cwd, fromEnv), fromEnv: true };
  const local = path.join(cwd, DEFAULT_CONFIG_FILE);
  try {
    await readFile(local);
    return { kind: 'file', path: local, fromEnv: false };
  } catch {
    return { kind: 'embedded' };
  }
}

export async function readConfigFile(file: string, fromEnv = false): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : String((e as Error).message);
    const hint = fromEnv ? ` (named by ${CONFIG_ENV_VAR}; point it at an existing file or unset it)` : '';
    throw new ConfigError(`cannot read configuration file ${file}: ${why}${hint}`, file);
  }
  let raw: unknown;
  try {
    raw = JSON5.parse(text);
  } catch (e) {
    throw new ConfigError(`configuration file ${file} is not valid JSON5: ${(e as Error).message}`, file);
  }
  return { config: validateConfig(raw, file), source: file };
}

/** Validates a parsed document; all problems are reported at once, each with its key path. */
export function validateConfig(raw: unknown, source: string): DhMcpConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`configuration in ${source} must be a JSON object at the top level`, source);
  }
  const parsed = ConfigSchema.safeParse(raw);
  const problems = parsed.success ? [] : describeIssues(parsed.error);
  if (parsed.success) problems.push(...checkAuthTypes(parsed.data));
  if (problems.length || !parsed.success) {
    throw new ConfigError(
      `invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      source,
      problems,
    );
  }
  return parsed.data;
}

/**
 * Static sessions' auth_type values are free strings in the schema (class names are allowed); check them here.
 * (session_creation.defaults.auth_type is checked by the parameter model's cross-field rules.)
 */
function checkAuthTypes(config: DhMcpConfig): string[] {
  const problems: string[] = [];
  for (const [name, s] of Object.entries(config.community?.sessions ?? {})) {
    if (s.auth_type === undefined) continue;
    try {
      normaliseAuthType(s.auth_type, `community.sessions.${name}.auth_type`);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return problems;
}
