export interface Campaign {
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  utm_term: string | null;
  utm_content: string | null;
  /** the first ad click id found, as "gclid:…" */
  click_id: string | null;
}

/** Ad platforms' click ids, checked in this order. With `utm_*` they are the only query parameters a stored URL keeps (`url.ts`). */
export const CLICK_IDS = ['gclid', 'gbraid', 'wbraid', 'dclid', 'msclkid', 'fbclid', 'ttclid', 'li_fat_id', 'twclid', 'epik', 'rdt_cid', 'sccid'];

const clip = (v: string | null): string | null => (v ? v.slice(0, 256) : null);

/** UTM parameters and ad click ids from a page URL. */
export function campaignFrom(page: URL): Campaign {
  const q = page.searchParams;
  let click: string | null = null;
  for (const id of CLICK_IDS) {
    const v = q.get(id);
    if (v) {
      click = `${id}:${v}`;
      break;
    }
  }
  return {
    utm_source: clip(q.get('utm_source')),
    utm_medium: clip(q.get('utm_medium')),
    utm_campaign: clip(q.get('utm_campaign')),
    utm_term: clip(q.get('utm_term')),
    utm_content: clip(q.get('utm_content')),
    click_id: clip(click),
  };
}
