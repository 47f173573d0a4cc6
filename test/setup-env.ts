import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Tests keep their instance records out of the user's real data directory (one directory per test file).
process.env.DH_MCP_DATA_DIR ??= mkdtempSync(path.join(os.tmpdir(), 'dh-mcp-test-data-'));
