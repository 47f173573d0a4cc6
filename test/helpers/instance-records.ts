import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { instancesDir } from '../../src/tracking/state-dir.js';

export interface InstanceRecordFile {
  file: string;
  /** The record as written (tests look for names in it). */
  text: string;
  body: { workers?: Record<string, { pid?: number }> } & Record<string, unknown>;
}

/**
 * The instance records servers keep under a data directory (src/tracking): none while the directory does not
 * exist yet. `dataDir` defaults to the one this process's servers use (DH_MCP_DATA_DIR).
 */
export function instanceRecords(dataDir = process.env.DH_MCP_DATA_DIR): InstanceRecordFile[] {
  const dir = instancesDir({ ...process.env, DH_MCP_DATA_DIR: dataDir });
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files.map((f) => {
    const file = path.join(dir, f);
    const text = readFileSync(file, 'utf8');
    return { file, text, body: JSON.parse(text) as InstanceRecordFile['body'] };
  });
}
