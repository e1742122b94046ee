// The five lists of CONTRACT §6 and the API questions behind them. Dimensions marked §5 arrive with the journey KPIs
// (issue 13); until the collector has them the tab says so instead of showing anything made up.
import { goalName } from '../filters';
import { country } from '../format';
import { listPanel, type Column } from './list';

const visitors: Column = { metric: 'visitors', label: 'Visitors', kind: 'count' };
const visits: Column = { metric: 'visits', label: 'Visits', kind: 'count' };
const pageviews: Column = { metric: 'pageviews', label: 'Pageviews', kind: 'count' };

export const sources = listPanel('sources', 'Sources', [
  { label: 'Sources', dim: 'visit:source', head: 'Source', columns: [visitors, visits], none: 'Direct / none', what: 'sources' },
  { label: 'Channels', dim: 'visit:channel', head: 'Channel', columns: [visitors, visits], what: 'channels (visit:channel)' },
  { label: 'UTM sources', dim: 'visit:utm_source', head: 'UTM source', columns: [visitors, visits], what: 'UTM sources' },
  { label: 'UTM mediums', dim: 'visit:utm_medium', head: 'UTM medium', columns: [visitors, visits], what: 'UTM mediums' },
  { label: 'UTM campaigns', dim: 'visit:utm_campaign', head: 'UTM campaign', columns: [visitors, visits], what: 'UTM campaigns' },
]);

export const pages = listPanel('pages', 'Pages', [
  { label: 'Top pages', dim: 'event:page', head: 'Page', columns: [visitors, pageviews], scope: [['is', 'event:name', ['pageview']]], what: 'top pages' },
  { label: 'Entry pages', dim: 'visit:entry_page', head: 'Entry page', columns: [visitors, visits], what: 'entry pages' },
  { label: 'Exit pages', dim: 'visit:exit_page', head: 'Exit page', columns: [visitors, visits], what: 'exit pages (visit:exit_page)' },
]);

export const countries = listPanel('countries', 'Countries', [
  { label: 'Countries', dim: 'visit:country', head: 'Country', columns: [visitors, visits], show: country, none: 'Unknown', what: 'countries' },
]);

export const devices = listPanel('devices', 'Devices', [
  { label: 'Devices', dim: 'visit:device', head: 'Device', columns: [visitors, visits], what: 'devices' },
  { label: 'Browsers', dim: 'visit:browser', head: 'Browser', columns: [visitors, visits], what: 'browsers' },
  { label: 'Operating systems', dim: 'visit:os', head: 'Operating system', columns: [visitors, visits], what: 'operating systems' },
]);

export const goals = listPanel('goals', 'Goals', [
  {
    label: 'Goals',
    dim: 'event:goal',
    head: 'Goal',
    columns: [
      { metric: 'visitors', label: 'Visitors', kind: 'count' },
      { metric: 'events', label: 'Completions', kind: 'count' },
      { metric: 'conversion_rate', label: 'Conversion rate', kind: 'percent' },
      { metric: 'total_revenue', label: 'Revenue', kind: 'money' },
    ],
    optional: ['total_revenue'],
    show: (id, ctx) => goalName(ctx.site, id),
    what: 'goal conversions (event:goal)',
  },
]);
