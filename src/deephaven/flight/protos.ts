import path from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';

/**
 * Deephaven's gRPC services, loaded once from the protos checked in under proto/ (deephaven-core v42.4, the wire
 * contract of every 42.x worker). Only method definitions are used: every call goes over one shared channel.
 */
export interface MethodDef {
  path: string;
  requestSerialize: (value: object) => Buffer;
  responseDeserialize: (bytes: Buffer) => unknown;
}

const PACKAGE = 'io.deephaven.proto.backplane.grpc';

function protoRoot(): string {
  // src/deephaven/flight and dist/deephaven/flight both sit three levels below the package root.
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = path.resolve(here, '../../../proto');
  if (!existsSync(root)) throw new Error(`Deephaven protos not found at ${root}; the package is incomplete`);
  return root;
}

let loaded: protoLoader.PackageDefinition | undefined;

function definitions(): protoLoader.PackageDefinition {
  loaded ??= protoLoader.loadSync(
    ['table', 'session', 'config'].map((f) => `deephaven_core/proto/${f}.proto`),
    {
      includeDirs: [protoRoot()],
      keepCase: true,
      longs: String, // sizes are sint64: exact as decimal strings
      enums: String,
      defaults: true,
      oneofs: true,
    },
  );
  return loaded;
}

export function method(
  service: 'TableService' | 'SessionService' | 'ConfigService',
  name: string,
): MethodDef {
  const svc = definitions()[`${PACKAGE}.${service}`] as Record<string, MethodDef> | undefined;
  const m = svc?.[name];
  if (!m) throw new Error(`no gRPC method ${service}.${name} in the Deephaven protos`);
  return m;
}

/** Wire shapes of the messages we read (proto-loader options above: keepCase, longs as strings, oneofs). */
export interface Ticket {
  ticket: Buffer;
}
export interface TableReference {
  ticket?: Ticket;
  batch_offset?: number;
  ref?: 'ticket' | 'batch_offset';
}
export interface ExportedTableCreationResponse {
  result_id: TableReference | null;
  success: boolean;
  error_info: string;
  schema_header: Buffer;
  is_static: boolean;
  size: string;
}
export interface ConfigurationConstantsResponse {
  config_values: Record<string, { string_value?: string }>;
}
