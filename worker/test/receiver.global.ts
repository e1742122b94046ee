import { createServer } from 'node:http';
import type { TestProject } from 'vitest/node';

/**
 * A real HTTP destination for delivery tests: records what it receives; answers with the status
 * queued through POST /__status, then 200. GET /__requests lists the recorded requests.
 */
export default async function setup(project: TestProject) {
  const received: { headers: Record<string, unknown>; body: string }[] = [];
  const statuses: number[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.url === '/__requests') return void res.end(JSON.stringify(received));
      if (req.url === '/__status') {
        statuses.push(Number(body));
        return void res.end('ok');
      }
      received.push({ headers: req.headers, body });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  project.provide('receiverUrl', `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
  return () => new Promise<void>((r) => server.close(() => r()));
}

declare module 'vitest' {
  export interface ProvidedContext {
    receiverUrl: string;
  }
}
