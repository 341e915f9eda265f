// A preparation thread of the bulk path (services/ingest/prepare-pool.ts): validates and
// fingerprints the lines of a batch, as prepareEvent does, and answers with the canonical
// event and payload hash of each valid line (null for an invalid one, which the caller
// judges again itself: those are rare, and the reason and dead letter stay exactly its own).
import { parentPort, workerData } from 'node:worker_threads';
import type { EventContext } from '../../domain/events/schema.ts';
import { prepareLine, type PreparedLine } from './prepare.ts';

export interface PrepareRequest {
  id: number;
  /** The batch's lines, one after the other. */
  bytes: Uint8Array;
  /** Where each line ends in `bytes`. */
  ends: Uint32Array;
}

export interface PrepareReply {
  id: number;
  lines: Array<PreparedLine | null>;
}

const ctx = (workerData as { ctx: EventContext }).ctx;

parentPort?.on('message', (request: PrepareRequest) => {
  const lines: Array<PreparedLine | null> = [];
  let start = 0;
  for (const end of request.ends) {
    lines.push(prepareLine(request.bytes.subarray(start, end), ctx));
    start = end;
  }
  parentPort?.postMessage({ id: request.id, lines } satisfies PrepareReply);
});
