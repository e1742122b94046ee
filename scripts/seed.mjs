// Sample data for a fresh local install (`npm start` only; never in a deployed build — this is a script, not Worker code):
// 30 days of the demo shop's traffic, so the README's examples and the dashboard have something to show on first start.
// Written straight into the local D1 as the consumer would have stored it (the rollups fold it on the first query), because
// locally every request comes from the same place: ingest would give every visitor the same country.
//
// What it holds (deterministic: the same numbers on every machine): ~1,500 visitors over the last 30 days, from Germany,
// France, the US, the UK, the Netherlands, Spain and Austria, arriving by search, social, a newsletter campaign, paid ads,
// referrals and directly; browsing the demo's pages (home, pricing, sign-up, the shop app), clicking, scrolling, downloading
// the brochure, signing up and buying (EUR revenue); a consent receipt per visitor (some refuse — they leave no events);
// 1 in 8 logs in, among them the customers `cust_1234` and `cust_5678` of the README's profile and erasure examples.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { executeSql } from './collector.mjs';

const DAY = 86_400_000;
const ORIGIN = 'http://127.0.0.1:8787';
const VISITORS = 1500;

/** Park–Miller: a tiny seeded generator, so every fresh install shows the same sample. */
function prng(seed) {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

const COUNTRIES = [['DE', 30], ['US', 20], ['FR', 14], ['GB', 12], ['NL', 9], ['ES', 8], ['AT', 7]];
const DEVICES = [[['desktop', 'Chrome', 'Windows'], 30], [['desktop', 'Firefox', 'Linux'], 8], [['desktop', 'Safari', 'macOS'], 14], [['mobile', 'Chrome', 'Android'], 26], [['mobile', 'Mobile Safari', 'iOS'], 18], [['tablet', 'Mobile Safari', 'iOS'], 4]];
// As ingest stores them (enrich/referrer.ts): [source name, medium class, referrer, utm_source, utm_medium, utm_campaign, click id]
const SOURCES = [
  [['Google', 'search', 'https://www.google.com/', null, null, null, null], 30],
  [[null, 'direct', null, null, null, null, null], 25],
  [['Twitter', 'social', 'https://t.co/', null, null, null, null], 12],
  [['newsletter', 'email', null, 'newsletter', 'email', 'nov-sale', null], 12],
  [['google', 'paid', 'https://www.google.com/', 'google', 'cpc', 'brand', 'gclid:sample'], 10],
  [['news.example', 'referral', 'https://news.example/', null, null, null, null], 11],
];
const pick = (rnd, weighted) => {
  let r = rnd() * weighted.reduce((n, [, w]) => n + w, 0);
  for (const [v, w] of weighted) if ((r -= w) < 0) return v;
  return weighted[0][0];
};
const q = (v) => (v === null || v === undefined ? 'NULL' : typeof v === 'number' ? String(v) : `'${String(v).replaceAll("'", "''")}'`);

/** The rows of one visit: page views walking the demo, with the micro-actions a visitor makes on them. */
function visitRows(rnd, v, t0) {
  const rows = [];
  let t = t0;
  const add = (name, path, extra = {}) => {
    t += 5_000 + Math.floor(rnd() * 60_000);
    rows.push({ name, path, ts: t, ...extra });
  };
  const journey = rnd() < 0.5 ? ['/demo/', '/demo/pricing'] : ['/demo/app/', '/demo/app/products/42'];
  if (rnd() < 0.5) journey.push(rnd() < 0.5 ? '/demo/app/products/43' : '/demo/pricing');
  if (rnd() < 0.3) journey.push('/demo/signup');
  if (rnd() < 0.25) journey.push('/demo/app/cart');
  const bounce = rnd() < 0.3;
  for (const p of bounce ? journey.slice(0, 1) : journey) {
    add('pageview', p, { pv: true });
    if (rnd() < 0.6) add('scroll', p, { props: { depth: [25, 50, 75, 100][Math.floor(rnd() * 4)] } });
    if (rnd() < 0.4) add('click', p, { props: { tag: 'a', text: 'Pricing' } });
    if (p === '/demo/' && rnd() < 0.5) {
      add('impression', p, { props: { view: 'newsletter-box' } });
      if (rnd() < 0.2) add('click', p, { props: { tag: 'button', text: 'Subscribe', view: 'newsletter-box' } });
    }
    if (p === '/demo/' && rnd() < 0.15) add('download', p, { props: { tag: 'a', text: 'Brochure (PDF)', href: `${ORIGIN}/demo/files/brochure.pdf` } });
    if (p === '/demo/signup') {
      add('form_start', p, { props: { form: 'signup' } });
      if (rnd() < 0.6) {
        add('form_submit', p, { props: { form: 'signup' } });
        add('signup', p, { custom: 1, props: { plan: rnd() < 0.2 ? 'pro' : 'free' } });
      } else add('form_abandon', p, { props: { form: 'signup', last: 'email' } });
    }
    if (p === '/demo/app/cart' && rnd() < 0.5) {
      const cents = [1990, 4990, 12900, 2450, 8900][Math.floor(rnd() * 5)];
      add('purchase', p, { custom: 1, props: { items: 1 + Math.floor(rnd() * 3) }, revenue: cents, currency: 'EUR' });
    }
    if (rnd() < 0.04) add('share', p, { props: { method: 'link' } });
    add('engagement', p, { props: { ms: 4_000 + Math.floor(rnd() * 90_000) } });
  }
  return rows;
}

/** The SQL that fills a fresh local D1 with the sample; `now` anchors the 30 days. */
export function sampleSql(now = Date.now()) {
  const rnd = prng(20261126);
  const events = [];
  const receipts = [];
  const links = [];
  const traits = [];
  const start = now - 30 * DAY;
  for (let v = 0; v < VISITORS; v++) {
    const anon = `sample-a${v}`;
    const consentId = `sample-c${v}`;
    const first = start + Math.floor(rnd() * 29 * DAY);
    // The README's two named customers (visitors 7 and 11) always accept.
    const decision = v === 7 || v === 11 ? Math.max(rnd(), 0.5) : rnd();
    // 25 % refuse, 15 % analytics only, the rest accept all.
    const granted = decision < 0.25 ? [] : decision < 0.4 ? ['analytics'] : ['analytics', 'marketing', 'personalization'];
    const denied = ['analytics', 'marketing', 'personalization'].filter((c) => !granted.includes(c));
    const method = decision < 0.25 ? 'banner' : decision < 0.4 ? 'preferences' : 'banner';
    receipts.push([consentId, `sample-r${v}`, JSON.stringify(granted), JSON.stringify(denied), method, first, granted.includes('analytics') ? anon : null]);
    if (!granted.includes('analytics')) continue;
    const country = pick(rnd, COUNTRIES);
    const [device, browser, os] = pick(rnd, DEVICES);
    // Two named customers for the README: cust_1234 (profile example) and cust_5678 (erasure example).
    const user = v === 7 ? 'cust_1234' : v === 11 ? 'cust_5678' : rnd() < 0.12 ? `cust_${1000 + v}` : null;
    // Logged in an hour into the first visit: later events carry the user id, as the consumer sets it from the graph.
    const linkAt = first + 3_600_000;
    const visits = v === 7 || v === 11 ? 3 : 1 + Math.floor(rnd() * rnd() * 5);
    for (let k = 0; k < visits; k++) {
      const t0 = Math.min(now - 3_600_000, first + k * Math.floor(rnd() * 4 * DAY));
      const src = pick(rnd, SOURCES);
      const session = `sample-s${v}-${k}`;
      let pv = null;
      for (const r of visitRows(rnd, v, t0)) {
        if (r.pv) pv = `sample-p${events.length}`;
        const landing = r.name === 'pageview' && events.at(-1)?.session !== session;
        events.push({ ...r, anon, session, pv, country, device, browser, os, user: user && r.ts >= linkAt ? user : null, src: landing ? src : null, consent: granted.join(',') });
      }
    }
    if (user) {
      links.push([anon, user, linkAt]);
      if (!traits.some(([u]) => u === user)) traits.push([user, JSON.stringify({ plan: v === 7 ? 'pro' : 'free' }), linkAt]);
    }
  }
  const out = [];
  // D1 refuses statements over 100 kB: rows go in chunks well under that.
  const chunked = (head, rows) => {
    let chunk = [];
    let bytes = 0;
    const flush = () => chunk.length && out.push(`${head} VALUES\n${chunk.join(',\n')};`);
    for (const row of rows) {
      if (bytes + row.length > 60_000) flush(), (chunk = []), (bytes = 0);
      chunk.push(row);
      bytes += row.length + 2;
    }
    flush();
  };
  chunked(
    'INSERT INTO events (site_id, id, name, custom, category, ts, received_at, anon_id, user_id, session_id, pageview_id, url, path, referrer, ref_host, source, medium, utm_source, utm_medium, utm_campaign, click_id, country, browser, os, device, bot, cookieless, consent, props, sent_from, revenue, currency)',
    events.map((e, i) => {
      const s = e.src ?? [null, null, null, null, null, null, null];
      const url = `${ORIGIN}${e.path}${s[3] ? `?utm_source=${s[3]}&utm_medium=${s[4]}&utm_campaign=${s[5]}` : ''}`;
      return `(${[
        'demo', `sample-e${i}`, e.name, e.custom ?? 0, 'analytics', e.ts, e.ts, e.anon, e.user, e.session, e.pv, url, e.path,
        s[2], s[2] && new URL(s[2]).host, e.src ? s[0] : null, e.src ? s[1] : null, s[3], s[4], s[5], s[6], e.country, e.browser, e.os, e.device, 0, 0,
        e.consent, e.props ? JSON.stringify(e.props) : null, 'browser', e.revenue ?? null, e.currency ?? null,
      ].map(q).join(', ')})`;
    }),
  );
  chunked(
    'INSERT INTO consent_receipts (site_id, receipt_id, consent_id, granted, denied, policy_version, method, gpc, ts, received_at, anon_id)',
    receipts.map(([c, r, g, d, m, ts, a]) => `(${['demo', r, c, g, d, '2026-11-01', m, 0, ts, ts, a].map(q).join(', ')})`),
  );
  chunked(
    'INSERT INTO consent_state (site_id, consent_id, receipt_id, granted, decided_at)',
    receipts.map(([c, r, g, , , ts]) => `(${['demo', c, r, g, ts].map(q).join(', ')})`),
  );
  chunked('INSERT INTO identity_links (site_id, anon_id, user_id, linked_at, verified, method)', links.map(([a, u, ts]) => `(${['demo', a, u, ts, 1, 'identify'].map(q).join(', ')})`));
  chunked('INSERT INTO user_traits (site_id, user_id, traits, updated_at)', traits.map(([u, t, ts]) => `(${['demo', u, t, ts].map(q).join(', ')})`));
  return { sql: out.join('\n'), events: events.length, visitors: VISITORS, users: traits.length };
}

/**
 * Seeds the local D1 under `persistTo` once: a marker file next to it records that it was done, so deleting
 * `.wrangler/state` (the documented reset) seeds again. `TP_SEED=0` skips it.
 */
export function seedOnce(persistTo, log = () => {}) {
  const marker = path.join(persistTo, 'touchpoint-sample-seeded');
  if (process.env.TP_SEED === '0' || existsSync(marker)) return null;
  const sample = sampleSql();
  log(`seeding sample data: ${sample.events.toLocaleString('en')} events of ${sample.visitors.toLocaleString('en')} visitors over the last 30 days (TP_SEED=0 skips)…`);
  executeSql(persistTo, sample.sql, 'seeding');
  writeFileSync(marker, new Date().toISOString());
  return sample;
}
