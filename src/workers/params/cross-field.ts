import { normaliseAuthType, type AuthType } from '../../config/auth-type.js';
import { quote } from '../../util/quote.js';
import { gb } from './bounds.js';
import { PARAMS, type LaunchMethod, type ParamName } from './model.js';

/** One thing wrong with a set of parameters: the field it is about and what to do. */
export interface Problem {
  field: string;
  message: string;
}

export interface CrossFieldInput {
  /** Checked values (each already within its own bounds). */
  values: Partial<Record<ParamName, unknown>>;
  /**
   * Which values were stated together: at config load every key present, at request time the tool's own
   * arguments (method-specific and exclusive rules apply to what the caller said, not to config defaults).
   */
  explicit: ReadonlySet<ParamName>;
  /** The launch method the values will be used with (request time); unknown at config load. */
  method?: LaunchMethod;
  /** How a field is named in messages (a config key path, or the bare argument name). */
  fieldName?: (p: ParamName) => string;
}

/**
 * The rules that involve more than one parameter, shared by config load and request time: exclusive pairs,
 * auth rules, parameters that only one launch method uses, and a memory limit above the heap.
 */
export function crossFieldProblems(input: CrossFieldInput): Problem[] {
  const { values: v, explicit } = input;
  const name = input.fieldName ?? ((p: ParamName) => p);
  const problems: Problem[] = [];
  const has = (p: ParamName): boolean => explicit.has(p) && v[p] !== undefined && v[p] !== null;

  if (has('docker_image') && has('programming_language'))
    problems.push({
      field: name('docker_image'),
      message: `give either '${name('programming_language')}' or '${name('docker_image')}', not both: the image decides the language`,
    });
  if (has('auth_token') && has('auth_token_env_var'))
    problems.push({
      field: name('auth_token_env_var'),
      message: "'auth_token' and 'auth_token_env_var' are both set; keep only one",
    });

  if (typeof v.auth_type === 'string') {
    const auth = createdWorkerAuth(v.auth_type, name('auth_type'));
    if (typeof auth !== 'string') problems.push(auth);
    else if (auth === 'ANONYMOUS' && has('auth_token'))
      problems.push({
        field: name('auth_token'),
        message: `is only used with auth_type "PSK"; remove it or set ${name('auth_type')} to "PSK"`,
      });
  }

  if (input.method) {
    for (const p of explicit) {
      const applies = PARAMS[p].applies;
      if (applies !== 'any' && applies !== input.method && has(p))
        problems.push({
          field: name(p),
          message: `applies only to launch_method "${applies}", not "${input.method}"; remove it`,
        });
    }
  }

  const heap = v.heap_size_gb;
  const limit = v.docker_memory_limit_gb;
  if (typeof heap === 'number' && typeof limit === 'number' && limit <= heap && input.method !== 'python')
    problems.push({
      field: name('docker_memory_limit_gb'),
      message: `${gb(limit)} is not above the JVM heap (${name('heap_size_gb')} ${gb(heap)}); the container would be killed for memory: raise it above the heap (by 1 GB or more for the JVM's own memory) or lower the heap`,
    });
  return problems;
}

/**
 * The auth type of a created worker: "PSK" or "ANONYMOUS". A fresh worker can start only those handlers, so
 * Basic and custom classes are refused (the reference silently started such workers anonymous).
 */
export function createdWorkerAuth(raw: string, field: string): 'PSK' | 'ANONYMOUS' | Problem {
  let a: AuthType;
  try {
    a = normaliseAuthType(raw, field);
  } catch (e) {
    return { field, message: (e as Error).message.replace(`${field}: `, '') };
  }
  if (a === 'PSK' || a === 'ANONYMOUS') return a;
  if (a === 'BASIC')
    return {
      field,
      message:
        'Basic is not supported for created workers (it needs a user database a fresh worker does not have); use "PSK" or "Anonymous"',
    };
  return {
    field,
    message: `created workers support "PSK" or "Anonymous", not the custom handler ${quote(a.custom)}`,
  };
}
