import { describe, expect, it } from 'vitest';
import { MAX_ERROR_CHARS, errorResult, toolError } from '../../../src/tools/tool-kit.js';
import {
  AuthenticationError,
  CancelledError,
  InvalidRequestError,
  NotFoundError,
  TimeoutError,
  TransportError,
  WorkerFailedError,
  errorKind,
  withContext,
} from '../../../src/util/errors.js';
import { ConfigError } from '../../../src/config/errors.js';
import { LaunchError } from '../../../src/workers/launch-error.js';

describe('errors are mapped once, at the tool boundary', () => {
  it.each([
    [new InvalidRequestError('heap_size_gb: too big'), 'invalid_request'],
    [new ConfigError('bad file', 'f'), 'invalid_request'],
    [new NotFoundError("Session 'x' not found"), 'not_found'],
    [new WorkerFailedError('the worker process is no longer running'), 'worker_failed'],
    [new LaunchError('the container exited'), 'worker_failed'],
    [new TransportError('connection reset'), 'transport'],
    [new AuthenticationError('rejected'), 'transport'],
    [new TimeoutError('listing timed out'), 'transport'],
  ])('%s → %s, message as written for the caller', (e, kind) => {
    expect(toolError('t', e)).toEqual({ kind, message: e.message });
  });

  it('anything else is internal: said so, with where the details are', () => {
    const r = toolError(
      'session_tables_list',
      new TypeError("Cannot read properties of undefined (reading 'x')"),
    );
    expect(r.kind).toBe('internal');
    expect(r.message).toMatch(
      /^internal error in dh-mcp while running session_tables_list: Cannot read properties/,
    );
    expect(r.message).toMatch(/stack trace/);
    expect(toolError('t', 'a string').kind).toBe('internal');
  });

  it('a cancelled call is answered as cancelled, whatever error came out of it', () => {
    const ac = new AbortController();
    ac.abort(new Error('client cancelled'));
    expect(toolError('t', new TransportError('socket closed'), ac.signal)).toEqual({
      kind: 'cancelled',
      message: 'the t call was cancelled (client cancelled)',
    });
    expect(toolError('t', new CancelledError('reload')).kind).toBe('cancelled');
  });

  it('a huge message keeps its head and tail within the cap', () => {
    const r = toolError('t', new WorkerFailedError('a'.repeat(200_000) + 'END'));
    expect(r.message.length).toBeLessThan(MAX_ERROR_CHARS + 100);
    expect(r.message).toMatch(/characters cut/);
    expect(r.message.endsWith('END')).toBe(true);
  });

  it("the reference's shape, with the protocol's isError", () => {
    const r = errorResult('nope');
    expect(r.isError).toBe(true);
    expect(r.structuredContent).toEqual({ success: false, error: 'nope', isError: true });
    expect(JSON.parse((r.content[0] as { text: string }).text)).toEqual(r.structuredContent);
  });

  it("context keeps the kind; unclassified errors take the caller's", () => {
    const e = withContext(new NotFoundError('no table'), 'reading: ');
    expect([errorKind(e), e.message]).toEqual(['not_found', 'reading: no table']);
    expect(errorKind(withContext(new Error('docker said no'), 'create: '))).toBe('worker_failed');
    expect(errorKind(withContext(new TimeoutError('slow'), 'x: '))).toBe('transport');
  });
});
