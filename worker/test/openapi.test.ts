import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { METRICS } from '../src/query/schema';

describe('GET /api/openapi.json', () => {
  it('documents every public path, with request bodies from the validating schemas', async () => {
    const res = await SELF.fetch('http://collector.test/api/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as any;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([
      '/v1/e', '/v1/consent', '/v1/identify', '/v1/me', '/api/v1/query', '/api/v1/funnel', '/api/v1/consent', '/api/v1/events',
      '/api/v1/profiles/{userId}', '/api/v1/subjects/{id}/export', '/api/v1/subjects/{id}', '/api/v1/consent/receipts',
    ]));
    const query = doc.paths['/api/v1/query'].post.requestBody.content['application/json'].schema;
    // The metric list is the validator's own.
    expect(query.properties.metrics.items.enum).toEqual([...METRICS]);
    expect(query.required).toEqual(expect.arrayContaining(['site_id', 'metrics', 'date_range']));
    expect(doc.paths['/api/v1/funnel'].post.requestBody.content['application/json'].schema.properties.steps.minItems).toBe(2);
  });
});
