import type { SessionCreationConfig } from '../../config/schema.js';
import { InvalidRequestError } from '../../util/errors.js';
import { quote } from '../../util/quote.js';
import {
  PARAMS,
  PARAM_NAMES,
  type CreateArgs,
  type ParamName,
  type ParamOptions,
  type ParamSpec,
} from './model.js';

/** Every entry seen through the common shape (optional CLI flag, wire kind). */
const spec = (p: ParamName): ParamSpec => PARAMS[p];

/**
 * The library's options and the CLI's flags, derived from the parameter model: the camelCase option and the
 * flag of each parameter come from its one description.
 */

/** Library options → the tool's argument names (what the resolver reads). */
export function argsFromOptions(name: string, options: ParamOptions): CreateArgs {
  const args: Record<string, unknown> = { session_name: name };
  for (const p of PARAM_NAMES) {
    const { option } = spec(p);
    if (p === 'session_name' || !PARAMS[p].tool || !option) continue;
    const v = (options as Record<string, unknown>)[option];
    if (v !== undefined) args[p] = v;
  }
  return args as CreateArgs;
}

/** Config-only values the library and the CLI may set too (start-up tuning, a token from a variable). */
export function configOnlyOptions(options: ParamOptions): Partial<Record<ParamName, unknown>> {
  const out: Partial<Record<ParamName, unknown>> = {};
  for (const p of PARAM_NAMES) {
    const { option } = spec(p);
    if (PARAMS[p].tool || !option) continue;
    const v = (options as Record<string, unknown>)[option];
    if (v !== undefined) out[p] = v;
  }
  return out;
}

type ParseArgsOption = { type: 'string'; short?: string; multiple?: boolean };

/** The parseArgs option table for every parameter that has a CLI flag. */
export function cliOptionTable(): Record<string, ParseArgsOption> {
  const table: Record<string, ParseArgsOption> = {};
  for (const p of PARAM_NAMES) {
    const cli = spec(p).cli;
    if (!cli) continue;
    table[cli.flag] = {
      type: 'string',
      ...(cli.short ? { short: cli.short } : {}),
      ...(cli.multiple ? { multiple: true } : {}),
    };
  }
  return table;
}

/** One usage line per flag, aligned: `  --heap <gb>   JVM heap in GB (fractions allowed)`. */
export function cliUsageLines(): string[] {
  const rows = PARAM_NAMES.flatMap((p) => {
    const cli = spec(p).cli;
    if (!cli) return [];
    const flag = `${cli.short ? `-${cli.short}, ` : ''}--${cli.flag} ${cli.value}`;
    return [[flag, cli.help ?? spec(p).description] as const];
  });
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  return rows.map(([f, h]) => `  ${f.padEnd(width)}${h}`);
}

/** Parsed flag values (strings, lists of strings) → library options, checking what the shell cannot. */
export function optionsFromCli(
  values: Record<string, string | string[] | boolean | undefined>,
): ParamOptions {
  const out: Record<string, unknown> = {};
  for (const p of PARAM_NAMES) {
    const { cli, wire, option } = spec(p);
    if (!cli || !option) continue;
    const raw = values[cli.flag];
    if (raw === undefined || typeof raw === 'boolean') continue;
    const flag = `--${cli.flag}`;
    switch (wire) {
      case 'number':
      case 'integer': {
        const n = Number(raw);
        if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n))
          throw new InvalidRequestError(`${flag} expects a number, got ${quote(raw)}`);
        out[option] = n;
        break;
      }
      case 'strings':
        out[option] = Array.isArray(raw) ? raw : [raw];
        break;
      case 'record': {
        const pairs: Record<string, string> = {};
        for (const kv of Array.isArray(raw) ? raw : [raw]) {
          const i = kv.indexOf('=');
          if (i <= 0) throw new InvalidRequestError(`${flag} expects KEY=value, got ${quote(kv)}`);
          pairs[kv.slice(0, i)] = kv.slice(i + 1);
        }
        out[option] = pairs;
        break;
      }
      default:
        out[option] = raw;
    }
  }
  return out as ParamOptions;
}

/**
 * The library's and the CLI's options applied to a config's session_creation section: the parameters become
 * the request's arguments, the config-only ones (start-up tuning, a token variable) override the defaults after
 * the same checks. The person running the library or the CLI is the operator: no tool-call policy applies.
 */
export function applyOptions(
  name: string,
  options: ParamOptions,
  creation: SessionCreationConfig,
): { args: CreateArgs; creation: SessionCreationConfig } {
  const defaults: Record<string, unknown> = { ...creation.defaults };
  const problems: string[] = [];
  for (const [p, v] of Object.entries(configOnlyOptions(options)) as Array<[ParamName, unknown]>) {
    const r = spec(p).schema.safeParse(v);
    if (r.success) defaults[p] = r.data;
    else problems.push(`${spec(p).option ?? p}: ${r.error.issues[0]?.message ?? 'invalid'}`);
  }
  if (problems.length) throw new InvalidRequestError(problems.join('; '));
  // A token variable chosen by the person wins over a literal token in the file.
  if (options.authTokenEnvVar !== undefined) delete defaults.auth_token;
  return {
    args: argsFromOptions(name, options),
    creation: { ...creation, defaults: defaults as SessionCreationConfig['defaults'] },
  };
}
