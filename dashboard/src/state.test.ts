import { describe, expect, it } from 'vitest';
import { buckets, interval, previousDays, rangeDays, readUrl, toUrl, type State } from './state';

const NOW = Date.parse('2026-03-31T22:30:00Z'); // already April 1st in Berlin
const state = (over: Partial<State>): State => ({ site: 'demo', range: '30d', filters: [], funnel: [], metric: 'visitors', ...over });

describe('ranges, as the query API resolves them (worker/src/query/time.ts)', () => {
  it('counts days in the site time zone, today included', () => {
    expect(rangeDays(state({ range: 'day' }), 'UTC', NOW)).toEqual(['2026-03-31', '2026-03-31']);
    expect(rangeDays(state({ range: 'day' }), 'Europe/Berlin', NOW)).toEqual(['2026-04-01', '2026-04-01']);
    expect(rangeDays(state({ range: '7d' }), 'UTC', NOW)).toEqual(['2026-03-25', '2026-03-31']);
    expect(rangeDays(state({ range: 'month' }), 'UTC', NOW)).toEqual(['2026-03-01', '2026-03-31']);
    expect(rangeDays(state({ range: '12mo' }), 'UTC', NOW)).toEqual(['2025-04-01', '2026-03-31']);
  });

  it('the previous period is as many days, ending the day before (the journey API’s "previous")', () => {
    expect(previousDays(state({ range: 'day' }), 'UTC', NOW)).toEqual(['2026-03-30', '2026-03-30']);
    expect(previousDays(state({ range: '30d' }), 'UTC', NOW)).toEqual(['2026-01-31', '2026-03-01']);
    expect(previousDays(state({ range: 'month' }), 'UTC', NOW)).toEqual(['2026-01-29', '2026-02-28']);
    expect(previousDays(state({ range: 'custom', from: '2024-02-28', to: '2024-03-01' }), 'UTC', NOW)).toEqual(['2024-02-25', '2024-02-27']);
  });

  it('buckets: hours for a day or two, days up to a month, weeks up to three, months beyond', () => {
    expect(interval(['2026-03-31', '2026-03-31'])).toBe('hour');
    expect(interval(['2026-03-01', '2026-03-31'])).toBe('day');
    expect(interval(['2026-01-01', '2026-03-01'])).toBe('week');
    expect(interval(['2025-04-01', '2026-03-31'])).toBe('month');
    expect(buckets(['2026-03-04', '2026-03-20'], 'week')).toEqual(['2026-03-02', '2026-03-09', '2026-03-16']);
    expect(buckets(['2026-03-31', '2026-03-31'], 'hour').slice(0, 2)).toEqual(['2026-03-31 00:00', '2026-03-31 01:00']);
    expect(buckets(['2025-11-15', '2026-02-01'], 'month')).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
  });
});

describe('the URL holds the state', () => {
  it('round-trips site, range, filters (values with commas), funnel and metric', () => {
    const s = state({ range: 'custom', from: '2026-01-01', to: '2026-01-31', filters: [['is', 'visit:utm_campaign', ['spring, 2026']], ['is', 'visit:country', ['DE']]], funnel: [{ event: 'pageview', page: '/pricing' }, { event: 'signup' }], metric: 'pageviews' });
    expect(readUrl(toUrl(s, '/dashboard/').split('?')[1])).toEqual(s);
  });

  it('drops what is malformed instead of failing', () => {
    expect(readUrl('?site=demo&range=forever&f=nonsense&f=is,visit:country,FR&funnel=%7Bbroken')).toEqual(state({ filters: [['is', 'visit:country', ['FR']]] }));
    expect(readUrl('?site=demo&range=custom&from=2026-02-01&to=2026-01-01').range).toBe('30d');
  });
});
