// The active filters, shown as removable buttons above the panels ("Country is Germany ✕"), and the names dimensions go by.
import type { Site } from './api';
import { h, vh } from './dom';
import { country } from './format';
import type { Filter } from './state';

export const DIMENSION_NAMES: Record<string, string> = {
  'visit:source': 'Source',
  'visit:channel': 'Channel',
  'visit:referrer': 'Referrer',
  'visit:utm_source': 'UTM source',
  'visit:utm_medium': 'UTM medium',
  'visit:utm_campaign': 'UTM campaign',
  'event:page': 'Page',
  'visit:entry_page': 'Entry page',
  'visit:exit_page': 'Exit page',
  'visit:country': 'Country',
  'visit:device': 'Device',
  'visit:browser': 'Browser',
  'visit:os': 'Operating system',
  'event:goal': 'Goal',
  'event:name': 'Event',
  'user:type': 'Identity tier',
};
const OPS = { is: 'is', is_not: 'is not', contains: 'contains' } as const;

/** A goal's name from the site's configuration (the API's event:goal values are goal ids). */
export const goalName = (site: Site, id: string): string => site.goals?.find((g) => g.id === id)?.name ?? id;

/** "Country is Germany" */
export function describe([op, dim, values]: Filter, site: Site): string {
  const show = (v: string) => (dim === 'visit:country' ? country(v) : dim === 'event:goal' ? goalName(site, v) : v);
  return `${DIMENSION_NAMES[dim] ?? dim} ${OPS[op]} ${values.map(show).join(' or ')}`;
}

/** The filter bar: one button per filter, which removes it. Empty (and hidden) without filters. */
export function filterBar(filters: Filter[], remove: (i: number) => void, site: Site): HTMLElement {
  return h(
    'div',
    { class: 'filters', hidden: !filters.length },
    h('h2', { class: 'vh' }, 'Filters'),
    h(
      'ul',
      { 'aria-label': 'Active filters' },
      filters.map((f, i) =>
        h('li', null, h('button', { type: 'button', class: 'chip', 'data-filter': i, onclick: () => remove(i) }, describe(f, site), h('span', { 'aria-hidden': 'true' }, ' ✕'), vh(' (remove filter)'))),
      ),
    ),
  );
}
