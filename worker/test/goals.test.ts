import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/sites';
import raw from '../../config/sites.json';
import { insertRows, queryApi } from './helpers';

/**
 * Goals in POST /api/v1/query (the demo site's goals, config/sites.json), on one day 5 days ago (UTC):
 * - go-a (anonymous): /demo/pricing, /demo/pricing/enterprise (both the "pricing" page goal), signup — one visit
 * - go-b: /demo/app/products/42 and /demo/app/products/7 ("product"), a form_submit of the log-in form ("login"), a
 *   form_submit of another form (no goal) — one visit
 * - go-c: /demo/prices (no goal: not /demo/pricing*), an impression of newsletter-box ("newsletter_seen"), an impression
 *   of another element (no goal) — one visit
 * - go-d: / only — one visit
 */
const DAY = 86_400_000;
const day0 = Math.floor(Date.now() / DAY) * DAY - 5 * DAY;
const DATE = new Date(day0).toISOString().slice(0, 10);
let n = 0;
const ev = (anon: string, name: string, path: string, minute: number, props?: object) => ({
  site_id: 'demo', id: `go-${n++}`, name, category: 'analytics', ts: day0 + 10 * 3_600_000 + minute * 60_000, received_at: day0, url: `https://s${path}`,
  path, consent: 'analytics', anon_id: anon, session_id: `${anon}-s`, props: props ? JSON.stringify(props) : null,
});
const rows = [
  ev('go-a', 'pageview', '/demo/pricing', 0), ev('go-a', 'pageview', '/demo/pricing/enterprise', 1), ev('go-a', 'signup', '/demo/pricing/enterprise', 2, { plan: 'pro' }),
  ev('go-b', 'pageview', '/demo/app/products/42', 0), ev('go-b', 'pageview', '/demo/app/products/7', 1), ev('go-b', 'form_submit', '/demo/app/', 2, { form: 'login' }),
  ev('go-b', 'form_submit', '/demo/app/', 3, { form: 'search' }),
  ev('go-c', 'pageview', '/demo/prices', 0), ev('go-c', 'impression', '/demo/prices', 1, { view: 'newsletter-box' }), ev('go-c', 'impression', '/demo/prices', 2, { view: 'plan-pro' }),
  ev('go-d', 'pageview', '/', 0),
];

beforeAll(async () => {
  await env.DB.batch(insertRows(rows));
});

const query = (body: Record<string, unknown>) => queryApi(body, [DATE, DATE]);

describe('goals in the query API', () => {
  it('event:goal: unique visitors and completions per goal; page patterns, props and plain events', async () => {
    const r = await query({ metrics: ['visitors', 'events', 'conversion_rate'], dimensions: ['event:goal'] });
    expect(r.status).toBe(200);
    // 4 visitors in all: every goal with a completion, its visitors, its completing events, and the share of the 4.
    expect(r.body.results).toEqual([
      { dimensions: ['login'], metrics: [1, 1, 25] },
      { dimensions: ['newsletter_seen'], metrics: [1, 1, 25] },
      { dimensions: ['pricing'], metrics: [1, 2, 25] },
      { dimensions: ['product'], metrics: [1, 2, 25] },
      { dimensions: ['signup'], metrics: [1, 1, 25] },
    ]);
  });

  it('an event:goal filter: conversion rate of several goals together, an event counted once however many goals it completes', async () => {
    expect((await query({ metrics: ['visitors', 'conversion_rate'], filters: [['is', 'event:goal', ['pricing', 'signup']]] })).body.results).toEqual([
      { dimensions: [], metrics: [1, 25] },
    ]);
    expect((await query({ metrics: ['visitors', 'pageviews', 'conversion_rate'], filters: [['is', 'event:goal', ['pricing', 'product']]] })).body.results).toEqual([
      { dimensions: [], metrics: [2, 4, 50] },
    ]);
    // Split by a visit attribute: the divisor is each group's visitors.
    expect((await query({ metrics: ['conversion_rate'], dimensions: ['visit:entry_page'], filters: [['is', 'event:goal', ['product']]] })).body.results).toEqual([
      { dimensions: ['/demo/app/products/42'], metrics: [100] },
    ]);
  });

  it('goal filters and splits combine with event:name and visit dimensions', async () => {
    expect((await query({ metrics: ['events'], dimensions: ['event:goal', 'event:name'], filters: [['contains', 'event:goal', ['p']]] })).body.results).toEqual([
      { dimensions: ['pricing', 'pageview'], metrics: [2] },
      { dimensions: ['product', 'pageview'], metrics: [2] },
      { dimensions: ['signup', 'signup'], metrics: [1] },
    ]);
  });

  it('an unknown goal, or scroll depth split by goal, is a 400 naming the field', async () => {
    expect(await query({ metrics: ['visitors'], filters: [['is', 'event:goal', ['pricing', 'nope']]] })).toMatchObject({
      status: 400,
      body: { error: { field: 'filters.0.2.1', message: expect.stringContaining('unknown goal "nope"') } },
    });
    expect((await query({ metrics: ['scroll_depth'], dimensions: ['event:goal'] })).body.error).toMatchObject({ field: 'metrics' });
    expect((await query({ metrics: ['conversion_rate'], dimensions: ['visit:country'] })).body.error).toMatchObject({ field: 'metrics' });
  });
});

describe('goals in the site configuration', () => {
  const demo = (raw as { sites: Record<string, Record<string, unknown>> }).sites.demo!;
  const errorsOf = (over: Record<string, unknown>) => {
    const r = parseConfig({ sites: { demo: { ...demo, ...over } } });
    return r.ok ? [] : r.errors;
  };

  it('the shipped goals, currency and targets are valid', () => {
    expect(parseConfig(raw).ok).toBe(true);
  });

  it('every bad goal key is named', () => {
    const errors = errorsOf({
      goals: [
        { id: 'ok', name: 'OK', stage: 'conversion', event: 'signup' },
        { id: 'bad-stage', name: 'X', stage: 'awareness', event: 'x' },
        { id: 'both', name: 'X', stage: 'loyalty', event: 'x', page: '/x' },
        { id: 'Upper', name: 'X', stage: 'loyalty', page: 'no-slash' },
        { id: 'ok', name: 'dup', stage: 'advocacy', page: '/a*', props: { a: 1 } },
        { id: 'extra', name: 'X', stage: 'loyalty', event: 'x', color: 'red' },
      ],
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^sites\.demo\.goals\.1\.stage: must be one of: attraction, consideration, conversion, loyalty, advocacy/),
        expect.stringMatching(/^sites\.demo\.goals\.2\.event: a goal has either "event" or "page"/),
        expect.stringMatching(/^sites\.demo\.goals\.3\.id: lower-case goal id/),
        expect.stringMatching(/^sites\.demo\.goals\.3\.page: a path starting with \//),
        expect.stringMatching(/^sites\.demo\.goals\.4\.props: props match events/),
        expect.stringMatching(/^sites\.demo\.goals\.5: Unrecognized key/),
      ]),
    );
  });

  it('duplicate goal ids, currencies, rates and targets are checked', () => {
    // (The demo's targets name goal:signup: with other goals, that target is unknown too.)
    expect(errorsOf({ goals: [{ id: 'a', name: 'A', stage: 'conversion', event: 'a' }, { id: 'a', name: 'B', stage: 'conversion', event: 'b' }], targets: {} })).toEqual([
      'sites.demo.goals.1.id: duplicate goal "a"',
    ]);
    expect(errorsOf({ currency: 'eur' })).toEqual([expect.stringMatching(/^sites\.demo\.currency: an ISO 4217 currency code/)]);
    expect(errorsOf({ currency_rates: { usd: 1 } })).toEqual([expect.stringMatching(/^sites\.demo\.currency_rates\.usd: an ISO 4217/)]);
    expect(errorsOf({ currency_rates: { USD: -1 } })).toEqual(['sites.demo.currency_rates.USD: must be positive']);
    expect(errorsOf({ currency_rates: { EUR: 1 } })).toEqual(["sites.demo.currency_rates.EUR: EUR is the site's currency itself"]);
    expect(errorsOf({ currency: undefined, currency_rates: { USD: 1 } })).toEqual(['sites.demo.currency_rates.USD: rates need the site\'s own "currency"']);
    expect(errorsOf({ targets: { visitors: 10, 'goal:signup': 5, bounce: 3, 'goal:nope': 1 } })).toEqual([
      expect.stringMatching(/^sites\.demo\.targets\.bounce: unknown KPI id; one of: visitors, new_visitors/),
      expect.stringMatching(/^sites\.demo\.targets\.goal:nope: unknown KPI id/),
    ]);
  });
});
