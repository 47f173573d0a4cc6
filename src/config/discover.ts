import { detectLaunchMethod } from '../creation/detect-launch-method.js';
import { logger } from '../util/logger.js';
import { embeddedDefaultConfig } from './default-config.js';
import { locateConfig, readConfigFile, validateConfig, type LoadedConfig } from './load.js';

export type { LoadedConfig };

export const EMBEDDED_SOURCE = 'embedded default';

/** Loads the config found by the discovery order; the embedded default picks a launch method that works here. */
export async function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): Promise<LoadedConfig> {
  const where = await locateConfig(env, cwd);
  if (where.kind === 'file') return readConfigFile(where.path, where.fromEnv);
  const { method, reason } = await detectLaunchMethod(env);
  logger.info({ launch_method: method, reason }, `embedded default config: launch_method ${method}`);
  return {
    config: validateConfig(embeddedDefaultConfig(method), EMBEDDED_SOURCE),
    source: `${EMBEDDED_SOURCE} (launch_method ${method})`,
  };
}
