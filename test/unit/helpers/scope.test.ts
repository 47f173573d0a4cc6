import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { LABELS } from '../../../src/workers/owner-labels.js';
import { processStartTime } from '../../../src/util/process-identity.js';
import { SCOPE_LABEL, SCOPE_ROOT, SCOPE_SUFFIX, adoptOwner, inScope, scoped } from '../../helpers/scope.js';

// The leak checks' notion of "this test file's own": labels alone decide, nothing else on the machine counts.
it('a container carrying the scope label, or a session name with the scope suffix, is ours', () => {
  expect(inScope({ [SCOPE_LABEL]: SCOPE_ROOT })).toBe(true);
  expect(inScope({ [SCOPE_LABEL]: '/tmp/dh-mcp-test-someone-else' })).toBe(false);
  expect(inScope({ [LABELS.session]: scoped('worker') })).toBe(true);
  expect(inScope({ [LABELS.session]: 'worker' })).toBe(false);
  expect(inScope({ 'com.docker.compose.project': `dhmcptest-${SCOPE_SUFFIX}` })).toBe(true);
});

it('a container owned by this process or an adopted one (pid and start time) is ours; a reused pid is not', () => {
  const me = { [LABELS.ownerPid]: String(process.pid), [LABELS.ownerStart]: processStartTime(process.pid)! };
  expect(inScope(me)).toBe(true);
  expect(inScope({ ...me, [LABELS.ownerStart]: '1' })).toBe(false);
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    const labels = {
      [LABELS.ownerPid]: String(child.pid),
      [LABELS.ownerStart]: processStartTime(child.pid!)!,
    };
    expect(inScope(labels)).toBe(false);
    adoptOwner(child.pid);
    expect(inScope(labels)).toBe(true);
  } finally {
    child.kill('SIGKILL');
  }
  expect(inScope({ [LABELS.ownerPid]: '999999999' })).toBe(false);
});
