/**
 * The create request's parameters and resolution now live in the parameter model (src/workers/params); this
 * module keeps the old import path working.
 */
import { createToolInput } from '../workers/params/derive.js';

export { resolveCreateRequest, HARD_DEFAULTS } from '../workers/params/resolve.js';
export type { CreatePlan, TokenSource, ResolveOptions } from '../workers/params/resolve.js';
export type { CreateArgs } from '../workers/params/model.js';

/** The session_community_create input schema, derived from the parameter model. */
export const CreateInput = createToolInput();
