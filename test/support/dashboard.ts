import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { DESKTOP_UA, type Harness } from './browser';

// Helpers for the dashboard's browser tests: traffic seeded through the public ingest path (as the snippet sends it),
// the API's own answers to compare the page with, and the page's readiness.

const rand = (n: number) => randomBytes(n).toString('base64url').replace(/[^A-Za-z0-9]/g, 'x');

export interface Visit {
  /** page paths viewed in order */
  pages: string[];
  /** custom events after the page views */
  events?: string[];
  referrer?: string;
  /** query string of the first page (UTM parameters) */
  query?: string;
  /** minutes before now of the first event */
  ago?: number;
}

/**
 * One visitor's visit: a consent decision granting analytics (binding a fresh anonymous id to its browser secret), then
 * one batch of events, as the snippet would send them. Resolves once the collector accepted the batch.
 */
export async function seedVisit(h: Harness, v: Visit, site = 'demo'): Promise<void> {
  const headers = { 'content-type': 'text/plain;charset=UTF-8', origin: h.url, 'user-agent': DESKTOP_UA };
  const a = `anon-${rand(12)}`;
  const k = randomBytes(32).toString('hex');
  const consent = await fetch(`${h.url}/v1/consent`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ s: site, id: rand(40).slice(0, 40), ri: `r-${rand(12)}`, g: { analytics: true, marketing: false, personalization: false }, v: '2026-11-01', m: 'banner', ts: Date.now(), a, k }),
  });
  if (consent.status !== 200) throw new Error(`consent ${consent.status}: ${await consent.text()}`);
  const { token } = (await consent.json()) as { token: string };
  const start = Date.now() - (v.ago ?? 10) * 60_000;
  let t = start;
  const origin = new URL(h.url).origin;
  const e = v.pages.map((p, i) => ({
    i: `ev-${rand(12)}`,
    n: 'pageview',
    c: 'analytics',
    ts: (t += 20_000),
    u: `${origin}${p}${i === 0 && v.query ? `?${v.query}` : ''}`,
    ...(i === 0 && v.referrer && { r: v.referrer }),
    pv: `pv-${rand(10)}`,
  }));
  for (const name of v.events ?? []) e.push({ i: `ev-${rand(12)}`, n: name, c: 'analytics', ts: (t += 20_000), u: `${origin}${v.pages.at(-1)}`, pv: e.at(-1)!.pv, x: 1 } as never);
  const res = await fetch(`${h.url}/v1/e`, { method: 'POST', headers, body: JSON.stringify({ s: site, t: token, a, ss: `ss-${rand(12)}`, e }) });
  const answer = (await res.json()) as { accepted?: number; rejected?: unknown[] };
  if (!res.ok || answer.rejected?.length) throw new Error(`events ${res.status}: ${JSON.stringify(answer)}`);
}

/** The API's answer, asked with the admin key (what a curl user would get). */
export async function api<T = any>(h: Harness, route: string, body?: object): Promise<T> {
  const res = await fetch(`${h.url}${route}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' },
    ...(body && { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${route} ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

/** Waits until the query API counts `visitors` in the last 7 days (the consumer writes in batches of ~1 s). */
export async function waitVisitors(h: Harness, visitors: number, site = 'demo'): Promise<void> {
  const end = Date.now() + 15_000;
  for (;;) {
    const r = await api(h, '/api/v1/query', { site_id: site, metrics: ['visitors'], date_range: '7d' });
    if (r.results[0].metrics[0] >= visitors) return;
    if (Date.now() > end) throw new Error(`only ${r.results[0].metrics[0]} of ${visitors} visitors stored`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

/** Every panel has answered (none is `aria-busy`). */
export const panelsReady = (page: Page) =>
  page.waitForFunction(() => {
    const panels = [...document.querySelectorAll('section[aria-busy]')];
    return panels.length >= 12 && panels.every((p) => p.getAttribute('aria-busy') === 'false') && !document.querySelector('.list-out[aria-busy="true"]');
  });

export async function signIn(page: Page, key = 'dev-admin-key'): Promise<void> {
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** The page's formatting, for the browser locale the tests set (en-US). */
export const fmt = {
  num: (v: number) => new Intl.NumberFormat('en-US').format(v),
  pct: (v: number) => new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 }).format(v / 100),
  duration(s: number) {
    const t = Math.round(s);
    const u = (unit: string, v: number) => new Intl.NumberFormat('en-US', { style: 'unit', unit, unitDisplay: 'narrow', maximumFractionDigits: 0 }).format(v);
    if (t >= 3600) return `${u('hour', Math.floor(t / 3600))} ${u('minute', Math.floor((t % 3600) / 60))}`;
    if (t >= 60) return `${u('minute', Math.floor(t / 60))} ${u('second', t % 60)}`;
    return u('second', t);
  },
};

/** axe-core, injected with `evaluate` (the page's CSP admits no inline or foreign script, and rightly so). */
export const AXE_SOURCE = readFileSync(path.resolve(import.meta.dirname, '../../node_modules/axe-core/axe.min.js'), 'utf8');
