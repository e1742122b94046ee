// The ingest benchmark's floor: the collector's configuration, bindings and real queue consumer, but a fetch handler that
// only forwards the body's events to the queue — no validation, consent, enrichment or `request.cf`. What it costs next to
// the empty Worker is what the local runtime charges for a queue send plus storing the events; the collector's distance to
// it is what the collector's own code costs.
import { handleQueue } from '../../worker/src/pipeline/consume';

const CTX = {
  anon_id: null, user_id: null, session_id: null, visitor_hash: null, country: null, region: null, city: null, timezone: null,
  browser: null, os: null, device: 'desktop', bot: 0, cookieless: 1, consent: '',
};

export default {
  async fetch(request, env) {
    const body = JSON.parse(await request.text());
    const events = body.e.map((e) => ({
      id: e.i, name: e.n, custom: 0, category: e.c, ts: e.ts, url: e.u, path: '/', referrer: e.r ?? null, ref_host: null,
      source: null, medium: null, utm_source: null, utm_medium: null, utm_campaign: null, utm_term: null, utm_content: null,
      click_id: null, pageview_id: e.pv ?? null, props: e.p ? JSON.stringify(e.p) : null, sent_from: 'browser', revenue: null, currency: null,
    }));
    await env.EVENTS.send({ k: 'ev', site: body.s, received_at: Date.now(), ctx: { ...CTX, anon_id: body.a ?? null, session_id: body.ss ?? null }, events, counts: {} });
    return Response.json({ accepted: events.length, dropped: 0, rejected: [] }, { status: 202 });
  },
  queue: (batch, env) => handleQueue(batch, env),
};
