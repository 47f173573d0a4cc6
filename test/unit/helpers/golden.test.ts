import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { golden } from '../../helpers/golden.js';
import { workerGone } from '../../helpers/leaks.js';

// The test helpers' own promises: a fixture that is missing fails, and an empty description proves nothing.
afterEach(() => {
  delete process.env.DH_MCP_UPDATE_GOLDEN;
});

it('a missing golden fails the test and is not written', () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'golden-')), 'x.txt');
  expect(() => golden(file, 'actual')).toThrow(
    /golden file .*x\.txt is missing; run the test with DH_MCP_UPDATE_GOLDEN=1/,
  );
  expect(existsSync(file)).toBe(false);
});

it('DH_MCP_UPDATE_GOLDEN=1 writes it on purpose', () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'golden-')), 'x.txt');
  process.env.DH_MCP_UPDATE_GOLDEN = '1';
  expect(golden(file, 'actual')).toBe('actual');
  expect(readFileSync(file, 'utf8')).toBe('actual');
});

it('workerGone({}) throws instead of claiming an unknown worker is gone', async () => {
  await expect(workerGone({})).rejects.toThrow(/needs a pid or a container id/);
});
