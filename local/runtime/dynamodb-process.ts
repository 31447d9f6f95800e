/**
 * Runs dynalite in a process of its own, so DynamoDB work uses another core instead of the runtime's
 * event loop. Started by dynamodb.ts over IPC: it reports `{port}` once listening, or `{error}`, and
 * closes the store (flushing LevelDB when it has a folder) when the parent disconnects.
 */
import dynalite from 'dynalite';
import type { AddressInfo } from 'node:net';

const [port, host, dataDir] = process.argv.slice(2);
const server = dynalite({ path: dataDir || undefined, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.once('error', (error: NodeJS.ErrnoException) => {
  process.send?.({ error: error.code === 'EADDRINUSE' ? 'EADDRINUSE' : error.message });
  process.exit(1);
});
server.listen(Number(port), host, () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => server.close(() => process.exit(0)));
