import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { adoptOwner } from './scope.js';

export const SERVER = path.join(PACKAGE_ROOT, 'dist', 'cli', 'systems-server.js');

/** Drives the built server as an MCP client would: JSON-RPC lines on stdin, every stdout line must be JSON-RPC. */
export class StdioPeer {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly stdoutLines: string[] = [];
  stderr = '';
  private buffer = '';
  private waiting = new Map<number, (msg: Record<string, unknown>) => void>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(env: NodeJS.ProcessEnv, args: string[] = []) {
    this.proc = spawn(process.execPath, [SERVER, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    adoptOwner(this.proc.pid); // its containers belong to this test file's scope
    this.proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      this.buffer += d;
      let i;
      while ((i = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + 1);
        this.stdoutLines.push(line);
        const msg = JSON.parse(line) as Record<string, unknown>; // throws (fails the test) on any non-JSON line
        if (typeof msg.id === 'number') this.waiting.get(msg.id)?.(msg);
      }
    });
    this.proc.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((r) => this.proc.on('exit', (code, signal) => r({ code, signal })));
  }

  request(
    id: number,
    method: string,
    params: Record<string, unknown> = {},
  ): Promise<Record<string, unknown>> {
    const p = new Promise<Record<string, unknown>>((r) => this.waiting.set(id, r));
    this.proc.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    return p;
  }

  notify(method: string): void {
    this.proc.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method })}\n`);
  }

  private nextId = 100;

  /** A tools/call; returns the tool's JSON body. */
  async callTool(name: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const msg = await this.request(this.nextId++, 'tools/call', { name, arguments: args });
    const result = msg.result as { content: Array<{ text: string }> } | undefined;
    if (!result) throw new Error(`tools/call ${name} failed: ${JSON.stringify(msg.error)}`);
    return JSON.parse(result.content[0]!.text) as Record<string, unknown>;
  }

  async initialize(): Promise<void> {
    await this.request(1, 'initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 't', version: '1' },
    });
    this.notify('notifications/initialized');
  }
}
