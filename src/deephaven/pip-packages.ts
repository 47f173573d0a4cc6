import { InvalidRequestError } from '../util/errors.js';
import { dataOf, readTableData } from './table-access.js';
import { helperName, runScript } from './script-runner.js';
import type { WorkerConnection } from './worker-connection.js';

export interface PipPackage {
  package: string;
  version: string;
}

/**
 * The worker's installed Python distributions. The helper table lives under a random name for the moment it
 * takes to read it and is removed in the same call, so the user's scope is left as it was.
 */
export async function listPipPackages(conn: WorkerConnection, timeoutMs: number): Promise<PipPackage[]> {
  if (conn.info.consoleType !== 'python')
    throw new InvalidRequestError(
      `session_pip_list works on Python workers only; this worker runs a ${conn.info.consoleType ?? 'unknown'} console`,
    );
  const name = helperName('pip');
  const make = `${name}_make`;
  const script = [
    `def ${make}():`,
    '    from deephaven import new_table',
    '    from deephaven.column import string_col',
    '    import importlib.metadata as md',
    '    names, versions = [], []',
    '    for d in md.distributions():',
    "        names.append(d.metadata['Name'] or '')",
    '        versions.append(d.version or "")',
    "    return new_table([string_col('Package', names), string_col('Version', versions)])",
    `globals()['${name}'] = ${make}()`,
    `del globals()['${make}']`,
  ].join('\n');
  try {
    const r = await runScript(conn, script, timeoutMs);
    if (r.error)
      throw new Error(`the package listing script failed on the worker: ${r.error.split('\n')[0]}`);
    const data = dataOf(
      await readTableData(conn, name, {
        head: true,
        format: 'json-row',
        maxChars: Number.MAX_SAFE_INTEGER,
        timeoutMs,
      }),
    );
    return (data as Array<{ Package: unknown; Version: unknown }>).map((r) => ({
      package: String(r.Package ?? ''),
      version: String(r.Version ?? ''),
    }));
  } finally {
    await runScript(conn, `globals().pop('${name}', None)\nglobals().pop('${make}', None)`, timeoutMs).catch(
      () => undefined,
    );
  }
}
