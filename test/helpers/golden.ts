import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * The expected text in a golden file. A missing golden fails the test: a test must never pass by writing its
 * own expectation. DH_MCP_UPDATE_GOLDEN=1 (re)writes the files on purpose; review the diff before committing.
 */
export function golden(file: string, actual: string): string {
  if (process.env.DH_MCP_UPDATE_GOLDEN === '1') writeFileSync(file, actual);
  if (!existsSync(file))
    throw new Error(
      `golden file ${file} is missing; run the test with DH_MCP_UPDATE_GOLDEN=1 to write it, then review and commit it`,
    );
  return readFileSync(file, 'utf8');
}
