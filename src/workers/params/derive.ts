import { z } from 'zod';
import { crossFieldProblems } from './cross-field.js';
import { PARAMS, PARAM_NAMES, type ParamName, type Params, type WireKind, type WireValue } from './model.js';

/**
 * Schemas derived from the parameter model: the session_community_create input schema and the
 * community.session_creation.defaults config schema.
 */

type ToolNames = { [K in ParamName]: Params[K]['tool'] extends true ? K : never }[ParamName];
type ConfigNames = { [K in ParamName]: Params[K]['config'] extends false ? never : K }[ParamName];

export type CreateInputShape = { session_name: z.ZodType<string> } & {
  [K in Exclude<ToolNames, 'session_name'>]: z.ZodType<WireValue[Params[K]['wire']] | null | undefined>;
};

const WIRE: { [K in WireKind]: () => z.ZodType<WireValue[K]> } = {
  string: () => z.string(),
  number: () => z.number(),
  integer: () => z.number().int(),
  strings: () => z.array(z.string()),
  record: () => z.record(z.string(), z.string()),
};

/** JSON Schema keywords that carry a bound; they are shown to clients in the tool's input schema. */
const BOUND_KEYWORDS = [
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'maxItems',
  'items',
  'propertyNames',
  'additionalProperties',
  'maxProperties',
] as const;

function boundsOf(schema: z.ZodType): Record<string, unknown> {
  const js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return Object.fromEntries(BOUND_KEYWORDS.filter((k) => js[k] !== undefined).map((k) => [k, js[k]]));
}

/**
 * The tool's input schema. The SDK validates arguments against it before the handler runs and answers
 * failures in its own shape, so it checks only JSON types (and null for "not given", as reference clients
 * send); the bounds are published as JSON Schema keywords for clients, and checked by the resolver, whose
 * refusals name the field, the bound and the fix in the reference's error shape.
 */
export function createToolInput(): CreateInputShape {
  const shape: Record<string, z.ZodType> = {};
  for (const name of PARAM_NAMES) {
    const spec = PARAMS[name];
    if (!spec.tool) continue;
    const meta = { description: spec.description, ...boundsOf(spec.schema) };
    shape[name] =
      name === 'session_name' ? WIRE[spec.wire]().meta(meta) : WIRE[spec.wire]().nullish().meta(meta);
  }
  return shape as unknown as CreateInputShape;
}

export type CreationDefaultsShape = {
  [K in ConfigNames]: z.ZodOptional<
    Params[K]['config'] extends 'nullable' ? z.ZodNullable<Params[K]['schema']> : Params[K]['schema']
  >;
};

/** The community.session_creation.defaults keys, each with the same bounds as the tool argument. */
export function creationDefaultsShape(): CreationDefaultsShape {
  const shape: Record<string, z.ZodType> = {};
  for (const name of PARAM_NAMES) {
    const spec = PARAMS[name];
    if (spec.config === false) continue;
    shape[name] = (spec.config === 'nullable' ? spec.schema.nullable() : spec.schema).optional();
  }
  return shape as unknown as CreationDefaultsShape;
}

/** The cross-field rules for a defaults object, reported on the offending key (config load). */
export function refineCreationDefaults(d: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const present = new Set((Object.keys(d) as ParamName[]).filter((k) => d[k] !== undefined && d[k] !== null));
  for (const p of crossFieldProblems({ values: d, explicit: present })) {
    ctx.addIssue({ code: 'custom', path: [p.field], message: p.message });
  }
}
