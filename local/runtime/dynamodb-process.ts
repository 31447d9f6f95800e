/**
 * Runs dynalite in a process of its own, so DynamoDB work uses another core instead of the runtime's
 * event loop. Started by dynamodb.ts over IPC: it reports `{port}` once listening, or `{error}`, and
 * closes the store (flushing LevelDB when it has a folder) when the parent disconnects. It counts the
 * requests it serves per operation and answers `{type: 'requests'}` with them, for benchmarks that
 * measure how many round trips the functions make.
 */
import dynalite from 'dynalite';
import type { AddressInfo } from 'node:net';

const [port, host, dataDir] = process.argv.slice(2);
const server = dynalite({ path: dataDir || undefined, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.once('error', (error: NodeJS.ErrnoException) => {
  process.send?.({ error: error.code === 'EADDRINUSE' ? 'EADDRINUSE' : error.message });
  process.exit(1);
});
const requests: Record<string, number> = {};
server.on('request', (req: { headers: Record<string, string | string[] | undefined> }) => {
  // X-Amz-Target is `DynamoDB_20120810.<Operation>`.
  const target = String(req.headers['x-amz-target'] ?? '');
  const operation = target.slice(target.indexOf('.') + 1) || 'unknown';
  requests[operation] = (requests[operation] ?? 0) + 1;
});
process.on('message', (message: { type?: string }) => {
  if (message.type === 'requests') process.send?.({ requests: { ...requests } });
});
server.listen(Number(port), host, () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => server.close(() => process.exit(0)));
