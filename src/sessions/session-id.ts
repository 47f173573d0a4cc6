import { InvalidRequestError } from '../util/errors.js';
import { quote } from '../util/quote.js';

export type SessionSource = 'config' | 'dynamic';
export type SystemType = 'community' | 'enterprise';

export function makeSessionId(system: SystemType, source: string, name: string): string {
  return `${system}:${source}:${name}`;
}

export interface ParsedSessionId {
  system: string;
  source: string;
  name: string;
}

/** `<system>:<source>:<name>`; the name may itself contain ':' (split at the first two only). */
export function parseSessionId(id: string): ParsedSessionId {
  const first = id.indexOf(':');
  const second = first < 0 ? -1 : id.indexOf(':', first + 1);
  const parts = second < 0 ? [] : [id.slice(0, first), id.slice(first + 1, second), id.slice(second + 1)];
  if (parts.length !== 3 || parts.some((p) => p === '')) {
    throw new InvalidRequestError(
      `Invalid session_id ${quote(id)}: expected 'community:config:<name>' or 'community:dynamic:<name>' (see sessions_list)`,
    );
  }
  return { system: parts[0]!, source: parts[1]!, name: parts[2]! };
}
