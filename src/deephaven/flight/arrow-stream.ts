import { RecordBatchReader, type RecordBatch, type Schema } from 'apache-arrow';
import type { FlightDataStream } from './flight-session.js';

/**
 * FlightData messages → Arrow IPC stream framing → Arrow record batches. The gRPC call is cancelled as soon as the
 * consumer stops (a size cap reached, an error): nothing beyond the batch in hand is read or buffered, beyond what
 * HTTP/2 flow control already let in.
 */
export interface ArrowBatches {
  schema: Schema;
  batches: AsyncIterableIterator<RecordBatch>;
  /** Stops the read and cancels the call; safe to call more than once. */
  cancel(): void;
}

const CONTINUATION = Buffer.from([0xff, 0xff, 0xff, 0xff]);

interface FlightData {
  header?: Buffer;
  body?: Buffer;
}

/** Decodes arrow.flight.protocol.FlightData: data_header = 2, data_body = 1000 (other fields skipped). */
export function decodeFlightData(buf: Buffer): FlightData {
  const out: FlightData = {};
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = buf[pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
    }
  };
  while (pos < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 2) {
      const len = varint();
      const bytes = buf.subarray(pos, pos + len);
      pos += len;
      if (field === 2) out.header = bytes;
      else if (field === 1000) out.body = bytes;
    } else if (wire === 0) varint();
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`unexpected protobuf wire type ${wire} in FlightData`);
  }
  return out;
}

/** One FlightData as an encapsulated IPC message: continuation, padded metadata length, metadata, body. */
function* ipcFrames(data: FlightData): Generator<Uint8Array> {
  if (!data.header?.length) return;
  const padded = (data.header.length + 7) & ~7;
  const prefix = Buffer.alloc(8);
  CONTINUATION.copy(prefix, 0);
  prefix.writeInt32LE(padded, 4);
  yield prefix;
  yield data.header;
  if (padded > data.header.length) yield Buffer.alloc(padded - data.header.length);
  if (data.body?.length) yield data.body;
}

export async function readArrowBatches(call: FlightDataStream): Promise<ArrowBatches> {
  let cancelled = false;
  const cancel = (): void => {
    if (cancelled) return;
    cancelled = true;
    call.cancel();
  };
  async function* frames(): AsyncGenerator<Uint8Array> {
    try {
      for await (const message of call as AsyncIterable<Buffer>) yield* ipcFrames(decodeFlightData(message));
    } catch (e) {
      if (!cancelled) throw e;
    } finally {
      cancel();
    }
  }
  try {
    const reader = await RecordBatchReader.from(frames());
    await reader.open();
    return {
      schema: reader.schema,
      batches: reader[Symbol.asyncIterator]() as AsyncIterableIterator<RecordBatch>,
      cancel: () => {
        cancel();
        void reader.cancel().catch(() => undefined);
      },
    };
  } catch (e) {
    cancel();
    throw e;
  }
}
