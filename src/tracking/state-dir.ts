import os from 'node:os';
import path from 'node:path';
import { userDataDir } from '../util/paths.js';

/** The user's data directory for dh-mcp (see userDataDir): every server of one user shares it. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return userDataDir({ env, platform: process.platform, homedir: os.homedir() });
}

export function instancesDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(dataDir(env), 'instances');
}
