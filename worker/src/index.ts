import { Hono } from 'hono';
import { CONFIG } from './config/sites';
import { originAllowed } from './config/secrets';
import { deleteOldSalts } from './enrich/visitor-hash';
import type { AppEnv, Env } from './env';
import { preflight } from './http/cors';
import { enforceRetention } from './privacy/retention';
import { onError } from './http/errors';
import { consentRoute } from './routes/consent';
import { demoRoute } from './routes/demo';
import { eventsRoute } from './routes/events';
import { exportRoute } from './routes/export';
import { identifyRoute } from './routes/identify';
import { meRoute } from './routes/me';
import { profilesRoute } from './routes/profiles';
import { queryRoute } from './routes/query';
import { funnelRoute } from './routes/funnel';
import { consentStatsRoute } from './routes/consent-stats';
import { openapiRoute } from './routes/openapi';
import { receiptsRoute } from './routes/receipts';
import { subjectsRoute } from './routes/subjects';
import { siteConfigRoute } from './routes/site-config';
import { snippetRoute } from './routes/snippet';
import { dashboardRoute } from './routes/dashboard';
import { archiveRoute } from './routes/api/archive';
import { journeyRoute } from './routes/api/journey';
import { retentionRoute } from './routes/api/retention';
import { segmentRoute } from './routes/server/segment';
import { compactArchive } from './archive/compact';
import { handleQueue } from './pipeline/consume';
import type { QueueMessage } from './storage/messages';

export const app = new Hono<AppEnv>();

app.options('*', (c) => preflight(c, (origin) => Object.values(CONFIG.sites).some((s) => originAllowed(c.env, s, origin))));
app.route('/', snippetRoute);
app.route('/', siteConfigRoute);
app.route('/', eventsRoute);
app.route('/', consentRoute);
app.route('/', identifyRoute);
if (__TP_DEV__) app.route('/', demoRoute); // the demo shop's back end: local builds only (routes/demo.ts)
app.route('/', exportRoute);
app.route('/', profilesRoute);
app.route('/', queryRoute);
app.route('/', funnelRoute);
app.route('/', consentStatsRoute);
app.route('/', openapiRoute);
app.route('/', meRoute);
app.route('/', subjectsRoute);
app.route('/', receiptsRoute);
app.route('/', archiveRoute); // the open Parquet archive (CONTRACT §7)
app.route('/', journeyRoute); // journey KPIs per stage (CONTRACT §5)
app.route('/', retentionRoute); // retention cohorts (CONTRACT §5)
app.route('/', dashboardRoute); // the marketer dashboard's page and sign-in (routes/dashboard/)
app.route('/', segmentRoute); // Segment-compatible server-side tracking (CONTRACT §8, routes/server/)
app.notFound((c) => c.json({ error: { code: 'not_found', message: 'no such endpoint' } }, 404));
app.onError(onError);

export default {
  fetch: app.fetch,
  queue: (batch, env) => handleQueue(batch, env),
  async scheduled(_controller, env) {
    const now = Date.now();
    const removed = await deleteOldSalts(env.DB, now);
    const retention = await enforceRetention(env, now);
    await compactArchive(env); // after retention: never merges what is about to be dropped; logs its own report
    console.log(JSON.stringify({ level: 'info', msg: 'scheduled maintenance', saltsDeleted: removed, retention }));
  },
} satisfies ExportedHandler<Env, QueueMessage>;
