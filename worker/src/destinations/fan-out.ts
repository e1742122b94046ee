import type { SiteConfig } from '../config/schema';
import type { DeliveryMessage, EventRow } from '../storage/messages';

/** Fields a destination never receives: the cookieless hash and bot flag are internal. */
const INTERNAL = new Set(['visitor_hash', 'bot']);

/**
 * One delivery message per destination for the accepted events it may receive:
 * only events whose consent category the destination declares (and, if set, whose name it lists).
 */
export function deliveriesFor(site: SiteConfig, rows: EventRow[]): DeliveryMessage[] {
  const out: DeliveryMessage[] = [];
  for (const dest of site.destinations) {
    const events = rows
      .filter((r) => dest.categories.includes(r.category) && (!dest.events || dest.events.includes(r.name)))
      .map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !INTERNAL.has(k))));
    if (events.length) out.push({ k: 'dl', site: site.id, destination: dest.name, body: JSON.stringify({ site: site.id, events }) });
  }
  return out;
}
