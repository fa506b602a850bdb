/**
 * Entry of the ingest load process (see ingest-load.ts): `node --import tsx
 * edge/bench/ingest-load-child.ts '<IngestPosterOptions as JSON>'`. Prints
 * `{"event":"ready"}`, posts until a line `stop` arrives on stdin (or stdin closes), then prints
 * `{"event":"result",…IngestPosterResult}` and exits.
 */
import { createInterface } from 'node:readline';
import { type IngestPosterOptions, startIngestPoster } from './ingest-poster.js';

const poster = startIngestPoster(JSON.parse(process.argv[2] ?? '{}') as IngestPosterOptions);
process.stdout.write(`${JSON.stringify({ event: 'ready' })}\n`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  const result = await poster.stop();
  process.stdout.write(`${JSON.stringify({ event: 'result', ...result })}\n`, () => process.exit(0));
};
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => void (line.trim() === 'stop' && stop()));
lines.on('close', () => void stop());
