import path from 'node:path';
import { quote } from '../../util/quote.js';
import { VOLUME_NAME_RE } from './bounds.js';

/** One `host:container[:mode]` volume, split. A Windows host path keeps its drive letter (`C:\data`). */
export interface VolumeSpec {
  host: string;
  container: string;
  mode?: string;
  /** The host part is a Docker named volume rather than a path. */
  named: boolean;
}

const MODES = new Set(['ro', 'rw', 'z', 'Z', 'ro,z', 'ro,Z', 'rw,z', 'rw,Z']);

export function parseVolume(spec: string): VolumeSpec | undefined {
  const drive = /^[A-Za-z]:[\\/]/.test(spec) ? 2 : 0;
  const rest = spec.slice(drive).split(':');
  if (rest.length < 2 || rest.length > 3) return undefined;
  const host = spec.slice(0, drive) + rest[0]!;
  return { host, container: rest[1]!, mode: rest[2], named: !isHostPath(host) && VOLUME_NAME_RE.test(host) };
}

export function isHostPath(p: string): boolean {
  return p.startsWith('/') || (process.platform === 'win32' && path.win32.isAbsolute(p));
}

/** Why a volume spec cannot be used as written, or undefined. */
export function volumeFormProblem(spec: string): string | undefined {
  const v = parseVolume(spec);
  if (!v) return 'is not "host:container[:mode]"';
  if (!v.container.startsWith('/')) return 'has a container path that is not absolute (e.g. "/data")';
  if (v.container === '/') return 'mounts over the container\'s root "/"; choose a directory such as "/data"';
  if (v.mode !== undefined && !MODES.has(v.mode)) return `has mode ${quote(v.mode)}; use "ro" or "rw"`;
  if (!v.named && !isHostPath(v.host))
    return `has host part ${quote(v.host)}, which is neither an absolute path nor a volume name (Docker would create a named volume from it); give an absolute host path or a volume name of letters, digits, "_", "." and "-"`;
  return undefined;
}
