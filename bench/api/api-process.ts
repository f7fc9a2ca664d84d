/** The API under test, in its own process (its own event loop and Temporal client), on 127.0.0.1. */
import { Client, Connection } from '@temporalio/client';
import { startApi } from '../../api/server.js';

const connection = await Connection.connect({ address: process.env.BENCH_TEMPORAL_ADDRESS! });
const client = new Client({ connection, namespace: 'default' });
const api = await startApi({
  client,
  taskQueue: process.env.BENCH_TASK_QUEUE!,
  port: 0,
  logger: false,
  log: () => undefined,
});
process.send?.({ url: api.url });
const stop = async () => {
  await api.close();
  await connection.close();
  process.exit(0);
};
process.on('message', (message: { stop?: boolean }) => void (message?.stop && stop()));
process.on('disconnect', () => void stop());
