// `npm start`: the collector on http://127.0.0.1:8787 (PORT overrides) with local D1/Queues/R2,
// and the demo site at /demo/. Stops cleanly on Ctrl-C.
import { startCollector } from './collector.mjs';

const port = Number(process.env.PORT ?? 8787);
const collector = await startCollector({ port, logLevel: 'info' });
console.log(`
Touchpoint collector  ${collector.url}
Demo site             ${collector.url}/demo/
Snippet               ${collector.url}/tp.js
Admin API key         ${process.env.TP_ADMIN_KEY ?? 'dev-admin-key'} (TP_ADMIN_KEY)
`);
const stop = async () => {
  await collector.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
