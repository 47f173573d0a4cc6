import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { listPipPackages } from '../deephaven/pip-packages.js';
import { ScriptTransportError, runScript } from '../deephaven/script-runner.js';
import { metaRows, openTable, readTableData, type TableData } from '../deephaven/table-access.js';
import { listTables } from '../deephaven/variables.js';
import type { FormatColumn } from '../formats/arrow-columns.js';
import { ALL_FORMAT_NAMES, TEXT, resolveFormat, type Encoding } from '../formats/table-formats.js';
import { NOTE_RESERVE, checkReadRequest, truncationNote } from './table-read-request.js';
import type { AppState } from '../server/app-state.js';
import { maxResponseChars, operationTimeoutMs, scriptTimeoutMs } from '../sessions/limits.js';
import { withConnection } from '../sessions/with-connection.js';
import { InvalidRequestError, TransportError, errorMessage } from '../util/errors.js';
import { Mutex } from '../util/mutex.js';
import { withTimeout } from '../util/timeout.js';
import { READ_ONLY, TextResult, defineTool } from './tool-kit.js';
import { WIRE, splicerOf } from '../server/spliced-stdio.js';
import { quote } from '../util/quote.js';

const SESSION_ID = z.string().describe("Session id from sessions_list, e.g. 'community:dynamic:my-worker'");
const Change = z.object({ name: z.string(), type: z.string() });

/**
 * One script per session at a time: output capture relies on it, and the worker runs them serially anyway. The
 * locks belong to one server state (shared by all its transports); two servers in one process share none.
 */
const scriptLocks = new WeakMap<AppState, Map<string, Mutex>>();
function scriptLock(state: AppState, id: string): Mutex {
  let locks = scriptLocks.get(state);
  if (!locks) scriptLocks.set(state, (locks = new Map()));
  let m = locks.get(id);
  if (!m) locks.set(id, (m = new Mutex()));
  return m;
}

/** session_tables_schema: names per call, and the length of one name. */
export const MAX_SCHEMA_TABLES = 100;
export const MAX_TABLE_NAME_CHARS = 1024;
const SCHEMA_CONCURRENCY = 8;

function checkTableNames(names: string[] | null | undefined): void {
  if (!names) return;
  if (names.length > MAX_SCHEMA_TABLES)
    throw new InvalidRequestError(
      `table_names: has ${names.length} names; at most ${MAX_SCHEMA_TABLES} per call: ask in pages of ${MAX_SCHEMA_TABLES} (session_tables_list gives every name)`,
    );
  const i = names.findIndex((n) => n.length > MAX_TABLE_NAME_CHARS);
  if (i >= 0)
    throw new InvalidRequestError(
      `table_names[${i}]: ${quote(names[i])} is longer than ${MAX_TABLE_NAME_CHARS} characters; no table has such a name`,
    );
}

/** Maps with at most `limit` calls in flight, keeping the order of the input. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
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
        table_names: z
          .array(z.string())
          .nullish()
          .meta({ maxItems: MAX_SCHEMA_TABLES, items: { type: 'string', maxLength: MAX_TABLE_NAME_CHARS } })
          .describe(
            `Tables to describe (at most ${MAX_SCHEMA_TABLES} per call; ask for more in pages); omit or null for all`,
          ),
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
      checkTableNames(table_names);
      const s = state.registry.get(session_id);
      const schemas = await withConnection(
        s,
        async (c) => {
          const known = await withTimeout(listTables(c), operationTimeoutMs(), 'listing tables');
          const titles = new Set(known.map((t) => t.title));
          const listed = [...titles].filter(Boolean).slice(0, 20);
          const tablesHint = titles.size
            ? `tables: ${listed.join(', ')}${titles.size > listed.length ? `, … (${titles.size - listed.length} more; session_tables_list lists them all)` : ''}`
            : 'it holds no tables';
          const names = table_names ?? known.map((t) => t.title ?? '');
          // Tables open a few at a time: a full page of names answers in about the time of its slowest few.
          return mapLimited(names, SCHEMA_CONCURRENCY, async (table) => {
            if (!titles.has(table))
              return {
                success: false,
                table,
                error: `no table named ${quote(table)} in the worker's scope; ${tablesHint}`,
                isError: true,
              };
            try {
              const t = await withTimeout(
                openTable(c, table, known),
                operationTimeoutMs(),
                `opening table ${quote(table)}`,
                (late) => late.close(),
              );
              try {
                const data = metaRows(t);
                return {
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
                };
              } finally {
                t.close();
              }
            } catch (e) {
              if (!(e instanceof InvalidRequestError)) throw e;
              return { success: false, table, error: e.message, isError: true };
            }
          });
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
        `size-capped). Page with offset (rows skipped from the start, or from the end when head=false); pick ` +
        'columns with columns; keep rows matching Deephaven filter expressions with filters (e.g. ["Price > 10", ' +
        '"Sym in `AAPL`, `MSFT`"]); order with sort (e.g. ["Sym", "-Price"]: a leading "-" sorts descending). ' +
        'Filters, sort, columns and the row range are applied on the worker before any row is sent. ' +
        `Formats: ${ALL_FORMAT_NAMES.join(', ')} (default optimize-rendering = markdown-table). ` +
        'Answers are capped in size too (DH_MCP_MAX_RESPONSE_CHARS, default 200000 characters); total_rows counts ' +
        'the rows matching the filters, is_complete says whether all of them are present, next_offset where the ' +
        'next page starts, and truncation_note why rows are missing. Ticking tables are read from one consistent ' +
        'snapshot.',
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
        offset: z
          .number()
          .int()
          .nullish()
          .describe('Rows to skip before the first returned row (from the end when head=false); default 0'),
        columns: z.array(z.string()).nullish().describe('Columns to return, in this order; omit for all'),
        filters: z
          .union([z.string(), z.array(z.string())])
          .nullish()
          .describe(
            'Deephaven filter expressions, all of which must hold, e.g. ["Price > 10", "Sym = `AAPL`"]',
          ),
        sort: z
          .array(z.string())
          .nullish()
          .describe('Sort keys, first key first: "Col" ascending, "-Col" descending'),
      },
      // No outputSchema: the answer is text only, like the reference's (docs/tools.md, "Tokens").
      annotations: READ_ONLY,
    },
    async ({ session_id, table_name, max_rows, head, format, offset, columns, filters, sort }, extra) => {
      // Everything is checked before anything is fetched.
      let fmt;
      try {
        fmt = resolveFormat(format);
      } catch (e) {
        throw new InvalidRequestError(
          `Invalid format parameter for table ${quote(table_name)}: ${errorMessage(e)}`,
        );
      }
      const req = checkReadRequest({ max_rows, offset, columns, filters, sort });
      const s = state.registry.get(session_id);
      const maxChars = maxResponseChars();
      const envelope = (cols: FormatColumn[]): number =>
        JSON.stringify({
          success: true,
          format: fmt,
          schema: cols,
          row_count: Number.MAX_SAFE_INTEGER,
          total_rows: Number.MAX_SAFE_INTEGER,
          offset: Number.MAX_SAFE_INTEGER,
          next_offset: Number.MAX_SAFE_INTEGER,
          is_complete: false,
          truncation_note: NOTE_RESERVE,
          data: null,
          table_name,
        }).length;
      const options = {
        maxRows: req.maxRows,
        head,
        offset: req.offset,
        columns: req.columns,
        filters: req.filters,
        sort: req.sort,
        format: fmt,
        maxChars: (cols: FormatColumn[]) => Math.max(0, maxChars - envelope(cols)),
        timeoutMs: operationTimeoutMs(),
      };
      // The reference's JSON (compact) around the data's JSON, which was written while reading: never
      // serialized again. On stdio the answer is written as wire bytes as the rows are read (it never exists as
      // one string); other transports get the text itself.
      const answer = <P>(r: TableData<P>, encoding: Encoding<P>): P[] => {
        const shown = req.offset + r.rowCount;
        const note = truncationNote({ ...r, head, offset: req.offset, maxRows: max_rows, maxChars });
        const meta = {
          success: true,
          format: fmt,
          schema: r.columns,
          row_count: r.rowCount,
          total_rows: r.totalRows,
          offset: req.offset,
          ...(shown < r.totalRows ? { next_offset: shown } : {}),
          is_complete: r.rowCount === r.totalRows,
          ...(note ? { truncation_note: note } : {}),
        };
        const opening = `${JSON.stringify(meta).slice(0, -1)},"data":`;
        const closing = `,"table_name":${JSON.stringify(table_name)}}`;
        return [encoding.text(opening), ...r.pieces, encoding.text(closing)];
      };
      const read = <P>(encoding: Encoding<P>): Promise<P[]> =>
        withConnection(
          s,
          async (c) => answer(await readTableData(c, table_name, options, encoding), encoding),
          {
            retry: true,
          },
        );
      const splicer = splicerOf(server.server.transport);
      if (splicer) return new TextResult(splicer.hold(await read(WIRE), extra.signal));
      return new TextResult((await read(TEXT)).join(''));
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
        throw new InvalidRequestError(
          hasScript
            ? "Give either 'script' or 'script_path', not both."
            : 'Must provide either script or script_path.',
        );
      const code = hasScript ? script : await readScriptFile(script_path!, state);
      const s = state.registry.get(session_id);
      const r = await scriptLock(state, s.id).run(() =>
        withConnection(s, (c) => runScript(c, code, scriptTimeoutMs()), { retry: false }).catch(
          (e: unknown) => {
            if (e instanceof ScriptTransportError)
              throw new TransportError(
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
        throw new InvalidRequestError(
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
      const result = await scriptLock(state, s.id).run(() =>
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
    throw new InvalidRequestError(
      'script_path is disabled: list the directories it may read in security.community.script_path_allowed_dirs in deephaven_mcp.json (or pass the code as script)',
    );
  let real: string;
  try {
    real = await realpath(path.resolve(p));
  } catch (e) {
    throw new InvalidRequestError(`cannot read script_path ${quote(p)}: ${errorMessage(e)}`);
  }
  const roots = await Promise.all(allowed.map((d) => realpath(d).catch(() => path.resolve(d))));
  if (!roots.some((r) => real === r || real.startsWith(r + path.sep)))
    throw new InvalidRequestError(
      `script_path ${quote(p)} is outside security.community.script_path_allowed_dirs (${allowed.join(', ')})`,
    );
  return readFile(real, 'utf8');
}
