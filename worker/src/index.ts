import { Hono } from 'hono';
import { CONFIG } from './config/sites';
import { originAllowed } from './config/secrets';
import { deleteOldSalts } from './enrich/visitor-hash';
import type { AppEnv, Env } from './env';
import { preflight } from './http/cors';
import { enforceRetention } from './privacy/retention';
import { onError } from './http/errors';
import { consentRoute } from './routes/browser/consent';
import { demoRoute } from './routes/dev/demo';
import { eventsRoute } from './routes/browser/events';
import { exportRoute } from './routes/api/export';
import { identifyRoute } from './routes/browser/identify';
import { meRoute } from './routes/browser/me';
import { profilesRoute } from './routes/api/profiles';
import { queryRoute } from './routes/api/query';
import { funnelRoute } from './routes/api/funnel';
import { consentStatsRoute } from './routes/api/consent-stats';
import { openapiRoute } from './routes/api/openapi';
import { receiptsRoute } from './routes/api/receipts';
import { subjectsRoute } from './routes/api/subjects';
import { siteConfigRoute } from './routes/browser/site-config';
import { snippetRoute } from './routes/browser/snippet';
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
// Routes by who calls them; the behaviour they share lives in the feature folders below (consent/, identity/, privacy/,
// query/, pipeline/, storage/, …).
// The snippet in visitors' browsers (routes/browser/): first, so /v1/e is ours before the Segment short paths (/v1/<letter>).
app.route('/', snippetRoute);
app.route('/', siteConfigRoute);
app.route('/', eventsRoute);
app.route('/', consentRoute);
app.route('/', identifyRoute);
app.route('/', meRoute);
// Marketers and site back ends with an API key, and the dashboard standing for one (routes/api/, routes/dashboard/).
app.route('/', queryRoute);
app.route('/', funnelRoute);
app.route('/', journeyRoute); // journey KPIs per stage (CONTRACT §5)
app.route('/', retentionRoute); // retention cohorts (CONTRACT §5)
app.route('/', consentStatsRoute);
app.route('/', receiptsRoute);
app.route('/', exportRoute);
app.route('/', profilesRoute);
app.route('/', subjectsRoute);
app.route('/', archiveRoute); // the open Parquet archive (CONTRACT §7)
app.route('/', openapiRoute);
app.route('/', dashboardRoute); // the marketer dashboard's page and sign-in
// Back ends with a write key: Segment-compatible server-side tracking (CONTRACT §8, routes/server/).
app.route('/', segmentRoute);
// The demo shop's back end: local builds only (routes/dev/demo.ts).
if (__TP_DEV__) app.route('/', demoRoute);
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
