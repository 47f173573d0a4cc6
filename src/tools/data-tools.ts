import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { listPipPackages } from '../deephaven/pip-packages.js';
import { ScriptTransportError, runScript } from '../deephaven/script-runner.js';
import { metaRows, openTable, readRows } from '../deephaven/table-access.js';
import { listTables } from '../deephaven/variables.js';
import { ALL_FORMAT_NAMES, formatRows, resolveFormat } from '../formats/table-formats.js';
import type { AppState } from '../server/app-state.js';
import { maxResponseChars, operationTimeoutMs, scriptTimeoutMs } from '../sessions/limits.js';
import { withConnection } from '../sessions/with-connection.js';
import { UserError, errorMessage } from '../util/errors.js';
import { Mutex } from '../util/mutex.js';
import { withTimeout } from '../util/timeout.js';
import { READ_ONLY, defineTool } from './tool-kit.js';

const SESSION_ID = z.string().describe("Session id from sessions_list, e.g. 'community:dynamic:my-worker'");
const Change = z.object({ name: z.string(), type: z.string() });

/** One script per session at a time: output capture relies on it, and the worker runs them serially anyway. */
const scriptLocks = new Map<string, Mutex>();
function scriptLock(id: string): Mutex {
  let m = scriptLocks.get(id);
  if (!m) scriptLocks.set(id, (m = new Mutex()));
  return m;
}

export function registerDataTools(server: McpServer, state: AppState): void {
  defineTool(
    server,
    'session_tables_list',
    {
      title: 'List tables',
      description:
        "Names of the tables in a session's global scope (tables only; other variables are not listed). Nothing " +
        'is run in the worker.',
      input: { session_id: SESSION_ID },
      output: { session_id: z.string(), table_names: z.array(z.string()), count: z.number().int() },
      annotations: READ_ONLY,
    },
    async ({ session_id }) => {
      const s = state.registry.get(session_id);
      const names = await withConnection(
        s,
        async (c) =>
          (await withTimeout(listTables(c), operationTimeoutMs(), 'listing tables')).map((t) => t.title),
        { retry: true },
      );
      return { session_id, table_names: names, count: names.length };
    },
  );

  defineTool(
    server,
    'session_tables_schema',
    {
      title: 'Table schemas',
      description:
        'Column names and types of the named tables (all tables when table_names is omitted or null). One entry ' +
        'per table, each its own success or error; DataType is the Java type (int, long, double, ' +
        'java.lang.String, java.time.Instant, ...).',
      input: {
        session_id: SESSION_ID,
        table_names: z.array(z.string()).nullish().describe('Tables to describe; omit or null for all'),
      },
      output: {
        schemas: z.array(
          z.object({
            success: z.boolean(),
            table: z.string(),
            format: z.literal('json-row').optional(),
            data: z.array(z.record(z.string(), z.unknown())).optional(),
            meta_columns: z.array(z.object({ name: z.string(), type: z.string() })).optional(),
            row_count: z.number().int().optional(),
            error: z.string().optional(),
            isError: z.boolean().optional(),
          }),
        ),
        count: z.number().int(),
      },
      annotations: READ_ONLY,
    },
    async ({ session_id, table_names }) => {
      const s = state.registry.get(session_id);
      const schemas = await withConnection(
        s,
        async (c) => {
          const known = await listTables(c);
          const names = table_names ?? known.map((t) => t.title);
          const out: Array<Record<string, unknown>> = [];
          for (const table of names) {
            try {
              const t = await withTimeout(
                openTable(c, table, known),
                operationTimeoutMs(),
                `opening table '${table}'`,
              );
              try {
                const data = metaRows(t);
                out.push({
                  success: true,
                  table,
                  format: 'json-row',
                  data,
                  meta_columns: [
                    { name: 'Name', type: 'string' },
                    { name: 'DataType', type: 'string' },
                    { name: 'ColumnType', type: 'string' },
                    { name: 'IsPartitioning', type: 'bool' },
                  ],
                  row_count: data.length,
                });
              } finally {
                t.close();
              }
            } catch (e) {
              if (!(e instanceof UserError)) throw e;
              out.push({ success: false, table, error: e.message, isError: true });
            }
          }
          return out;
        },
        { retry: true },
      );
      return { schemas, count: schemas.length };
    },
  );

  defineTool(
    server,
    'session_table_data',
    {
      title: 'Table data',
      description:
        `Rows of one table: the first (head=true, default) or last max_rows rows (default 1000; null = all, still ` +
        `size-capped). Formats: ${ALL_FORMAT_NAMES.join(', ')} (default optimize-rendering = markdown-table). ` +
        'Answers are capped in size too (DH_MCP_MAX_RESPONSE_CHARS, default 200000 characters of row JSON); ' +
        'is_complete says whether every row is present and truncation_note says why not. Ticking tables are read ' +
        'from one consistent snapshot.',
      input: {
        session_id: SESSION_ID,
        table_name: z.string().describe('A name from session_tables_list'),
        max_rows: z
          .number()
          .int()
          .nullish()
          .default(1000)
          .describe('Row cap (default 1000); null reads all rows'),
        head: z.boolean().default(true).describe('true: first rows; false: last rows'),
        format: z
          .string()
          .default('optimize-rendering')
          .describe(`One of: ${ALL_FORMAT_NAMES.join(', ')}`),
      },
      output: {
        format: z.string(),
        schema: z.array(z.object({ name: z.string(), type: z.string() })),
        row_count: z.number().int(),
        total_rows: z.number().int(),
        is_complete: z.boolean(),
        truncation_note: z.string().optional(),
        data: z.unknown(),
        table_name: z.string(),
      },
      annotations: READ_ONLY,
    },
    async ({ session_id, table_name, max_rows, head, format }) => {
      // Checked before anything is fetched.
      let fmt;
      try {
        fmt = resolveFormat(format);
      } catch (e) {
        throw new UserError(`Invalid format parameter for table '${table_name}': ${errorMessage(e)}`);
      }
      if (max_rows !== null && max_rows !== undefined && max_rows < 0)
        throw new UserError(`max_rows must be 0 or more (or null for all rows), got ${max_rows}`);
      const s = state.registry.get(session_id);
      const maxChars = maxResponseChars();
      const r = await withConnection(
        s,
        (c) =>
          readRows(c, table_name, {
            maxRows: max_rows ?? undefined,
            head,
            maxChars,
            timeoutMs: operationTimeoutMs(),
          }),
        { retry: true },
      );
      const which = head ? 'first' : 'last';
      const note =
        r.limitedBy === 'size'
          ? `Showing the ${which} ${r.rows.length} of ${r.totalRows} rows: the answer reached the size cap of ${maxChars} characters (DH_MCP_MAX_RESPONSE_CHARS). Ask for fewer rows (max_rows) or a narrower table.`
          : r.limitedBy === 'max_rows'
            ? `Showing the ${which} ${r.rows.length} of ${r.totalRows} rows (max_rows=${max_rows}).`
            : undefined;
      return {
        format: fmt,
        schema: r.columns,
        row_count: r.rows.length,
        total_rows: r.totalRows,
        is_complete: r.limitedBy === undefined,
        ...(note ? { truncation_note: note } : {}),
        data: formatRows(fmt, r.columns, r.rows),
        table_name,
      };
    },
  );

  defineTool(
    server,
    'session_script_run',
    {
      title: 'Run a script',
      description:
        "Run Python or Groovy code (the worker's console language) in a session's global scope. Give script, or " +
        'script_path to a file in a directory listed in security.community.script_path_allowed_dirs. Returns the ' +
        'variables the script created, updated and removed and what it printed (stdout, stderr). A script error ' +
        "is success=false with the worker's message.",
      input: {
        session_id: SESSION_ID,
        script: z.string().nullish().describe('The code to run'),
        script_path: z.string().nullish().describe('A file to run instead (server-side path)'),
      },
      output: {
        session_id: z.string(),
        created: z.array(Change),
        updated: z.array(Change),
        removed: z.array(Change),
        stdout: z.string(),
        stderr: z.string(),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    async ({ session_id, script, script_path }) => {
      const hasScript = script !== null && script !== undefined;
      const hasPath = script_path !== null && script_path !== undefined && script_path !== '';
      if (hasScript === hasPath)
        throw new UserError(
          hasScript
            ? "Give either 'script' or 'script_path', not both."
            : 'Must provide either script or script_path.',
        );
      const code = hasScript ? script : await readScriptFile(script_path!, state);
      const s = state.registry.get(session_id);
      const r = await scriptLock(s.id).run(() =>
        withConnection(s, (c) => runScript(c, code, scriptTimeoutMs()), { retry: false }).catch(
          (e: unknown) => {
            if (e instanceof ScriptTransportError)
              throw new Error(
                `Script execution failed for session '${session_id}': the connection to the worker failed (${e.message}); the next call reconnects`,
              );
            throw e;
          },
        ),
      );
      if (r.error) {
        const printed = [r.stdout && `stdout:\n${r.stdout}`, r.stderr && `stderr:\n${r.stderr}`].filter(
          Boolean,
        );
        throw new UserError(
          `Script execution failed for session '${session_id}': ${r.error}${printed.length ? `\n${printed.join('\n')}` : ''}`,
        );
      }
      return {
        session_id,
        created: r.created,
        updated: r.updated,
        removed: r.removed,
        stdout: r.stdout,
        stderr: r.stderr,
      };
    },
  );

  defineTool(
    server,
    'session_pip_list',
    {
      title: 'Installed Python packages',
      description:
        "The Python distributions installed in a Python worker (package and version). Leaves nothing in the worker's scope.",
      input: { session_id: SESSION_ID },
      output: { result: z.array(z.object({ package: z.string(), version: z.string() })) },
      annotations: READ_ONLY,
    },
    async ({ session_id }) => {
      const s = state.registry.get(session_id);
      const result = await scriptLock(s.id).run(() =>
        withConnection(s, (c) => listPipPackages(c, operationTimeoutMs()), { retry: true }),
      );
      return { result };
    },
  );
}

/** Reads a script file, only from the directories the config allows (none by default). */
async function readScriptFile(p: string, state: AppState): Promise<string> {
  const allowed = state.config.security?.community?.script_path_allowed_dirs ?? [];
  if (!allowed.length)
    throw new UserError(
      'script_path is disabled: list the directories it may read in security.community.script_path_allowed_dirs in deephaven_mcp.json (or pass the code as script)',
    );
  let real: string;
  try {
    real = await realpath(path.resolve(p));
  } catch (e) {
    throw new UserError(`cannot read script_path '${p}': ${errorMessage(e)}`);
  }
  const roots = await Promise.all(allowed.map((d) => realpath(d).catch(() => path.resolve(d))));
  if (!roots.some((r) => real === r || real.startsWith(r + path.sep)))
    throw new UserError(
      `script_path '${p}' is outside security.community.script_path_allowed_dirs (${allowed.join(', ')})`,
    );
  return readFile(real, 'utf8');
}
