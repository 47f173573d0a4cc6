import { quote } from '../util/quote.js';

/** Deephaven authentication handler names, and the one spelling dh-mcp uses for them in results. */
export const PSK_HANDLER = 'io.deephaven.authentication.psk.PskAuthenticationHandler';
export const ANONYMOUS_HANDLER = 'io.deephaven.auth.AnonymousAuthenticationHandler';
export const BASIC_HANDLER = 'io.deephaven.authentication.sql.BasicSqlAuthenticationHandler';

/**
 * Normalised auth type. Results always use these spellings ("PSK", "ANONYMOUS", "BASIC"), or the custom
 * handler's class name verbatim, whatever the config or the tool argument said.
 */
export type AuthType = 'PSK' | 'ANONYMOUS' | 'BASIC' | { custom: string };

export function authTypeLabel(a: AuthType): string {
  return typeof a === 'string' ? a : a.custom;
}

/**
 * Accepts the reference's spellings: "PSK" / "Anonymous" / "Basic" in any case, and handler class names.
 * Throws with a message that says how to fix the value.
 */
export function normaliseAuthType(raw: string, field: string): AuthType {
  if (raw !== raw.trim())
    throw new Error(`${field}: ${quote(raw)} has leading or trailing whitespace; remove it`);
  const upper = raw.toUpperCase();
  if (upper === 'PSK' || raw === PSK_HANDLER) return 'PSK';
  if (upper === 'ANONYMOUS' || raw === ANONYMOUS_HANDLER) return 'ANONYMOUS';
  if (upper === 'BASIC' || raw === BASIC_HANDLER) return 'BASIC';
  if (upper === PSK_HANDLER.toUpperCase())
    throw new Error(
      `${field}: ${quote(raw)} looks like the PSK handler with the wrong case; use "PSK" or '${PSK_HANDLER}'`,
    );
  if (upper === ANONYMOUS_HANDLER.toUpperCase())
    throw new Error(
      `${field}: ${quote(raw)} looks like the anonymous handler with the wrong case; use "Anonymous"`,
    );
  if (!/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)+$/.test(raw))
    throw new Error(
      `${field}: ${quote(raw)} is not a known auth type; use "PSK", "Anonymous", "Basic" or a handler class name`,
    );
  return { custom: raw };
}

/** The `type` a client sends at login for this auth type. */
export function loginType(a: AuthType): string {
  switch (a) {
    case 'PSK':
      return PSK_HANDLER;
    case 'ANONYMOUS':
      return 'Anonymous';
    case 'BASIC':
      return 'Basic';
    default:
      return a.custom;
  }
}
