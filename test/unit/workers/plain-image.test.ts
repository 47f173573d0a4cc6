import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { quoteForXargs } from '../../../src/workers/drivers/plain-image/index.js';
import { singleFileTar } from '../../../src/workers/drivers/plain-image/tar.js';

describe('START_OPTS quoting (the start script splits with xargs)', () => {
  const split = (s: string): string[] =>
    execFileSync('xargs', ['-n1', 'printf', '%s\\0'], { input: s }).toString().split('\0').slice(0, -1);

  it.each([['-Xmx1g'], ['-Dx=a b'], ["-Dx=it's"], ['-Dx="q"'], ['-Dsimple=1,2']])('%s survives', (arg) => {
    expect(split(quoteForXargs(arg))).toEqual([arg]);
  });
  it('refuses what xargs cannot carry', () => {
    expect(() => quoteForXargs(`-Dx='a' "b"`)).toThrow(/cannot carry/);
    expect(() => quoteForXargs('-Dx=a\\ b')).toThrow(/cannot carry/);
  });
});

describe('single-file tar', () => {
  it('is read by tar with its content and mode', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-mcp-tar-'));
    const archive = path.join(dir, 'a.tar');
    writeFileSync(archive, singleFileTar('boot.properties', 'authentication.psk=abc\n'));
    execFileSync('tar', ['-xf', archive, '-C', dir]);
    expect(readFileSync(path.join(dir, 'boot.properties'), 'utf8')).toBe('authentication.psk=abc\n');
    expect(statSync(path.join(dir, 'boot.properties')).mode & 0o777).toBe(0o600);
  });
});
