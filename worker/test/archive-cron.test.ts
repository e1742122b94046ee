import { createExecutionContext, createScheduledController, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../src/index';
import { objectKey, putParquet } from '../src/storage/archive';
import { archiveObjects } from './archive-helpers';

describe('the hourly cron', () => {
  it('runs retention, then compacts the archive', async () => {
    // Yesterday: the days every hourly run looks at (older ones: once a day).
    const ts = Date.now() - 86_400_000;
    const day = new Date(ts).toISOString().slice(0, 10);
    const row = { site_id: 'demo', id: 'cron-1', name: 'pageview', custom: 0, category: 'analytics', ts, received_at: ts, url: 'https://x/', path: '/', bot: 0, cookieless: 0, consent: 'analytics', sent_from: 'browser' } as never;
    await putParquet(env.ARCHIVE, objectKey('demo', day, 'p-cron-a'), [row]);
    await putParquet(env.ARCHIVE, objectKey('demo', day, 'p-cron-b'), [{ ...(row as object), id: 'cron-2' } as never]);
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: '17 * * * *' }), env, createExecutionContext());
    const objects = (await archiveObjects(`events/site=demo/date=${day}/`)).filter((o) => o.rows.some((r) => r.id.startsWith('cron-')));
    expect(objects.map((o) => o.key)).toEqual([expect.stringMatching(/\/c-[0-9a-f]{24}\.parquet$/)]);
    expect(objects[0]!.rows.map((r) => r.id).filter((i) => i.startsWith('cron-')).sort()).toEqual(['cron-1', 'cron-2']);
    expect(await env.ARCHIVE.head(objectKey('demo', day, 'p-cron-a'))).toBeNull();
  });
});
