import { SessionConfigurationError } from '../util/errors.js';

/**
 * Resolves a token given literally or through an environment variable, at the moment it is needed (so a
 * rotated variable is picked up on the next connection). A named but unset variable is a configuration error,
 * not a silent empty token.
 */
export function resolveToken(
  spec: { auth_token?: string | null | undefined; auth_token_env_var?: string | null | undefined },
  where: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (spec.auth_token_env_var) {
    const v = env[spec.auth_token_env_var];
    if (v === undefined || v === '') {
      throw new SessionConfigurationError(
        `environment variable '${spec.auth_token_env_var}' named by ${where}.auth_token_env_var is not set; export it before starting the server`,
      );
    }
    return v;
  }
  return spec.auth_token ?? undefined;
}
