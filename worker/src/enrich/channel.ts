/**
 * Acquisition channels (`visit:channel`): the six groups a visit's first event falls in, from what enrichment stored
 * (`referrer.ts`: the referrer class in `medium`, where UTM parameters win over the referrer, and the ad click id):
 *
 * | channel | when |
 * |---|---|
 * | Paid | an ad click id (gclid, msclkid, fbclid, …) or a paid `utm_medium` (cpc, ppc, paid, display, banner, …) |
 * | Organic Search | a search engine referrer, or `utm_medium` organic / search |
 * | Social | a social network or messenger referrer, or a social `utm_medium` |
 * | Email | a webmail referrer, or `utm_medium` email / newsletter |
 * | Referral | any other site, or any other `utm_medium` / a `utm_source` alone |
 * | Direct | no referrer, the site itself (a visit that continued after the session timeout), or a first event that is not a page view |
 *
 * Computed when the visit is folded (`storage/visits.ts`) and stored on it; migration 0011 repeats the same CASE.
 */
export const CHANNELS = ['Paid', 'Organic Search', 'Social', 'Email', 'Referral', 'Direct'] as const;

/** The channel of event alias `e` (columns `medium`, `click_id`), as SQL. */
export const channelSql = (e: string) => `CASE
    WHEN ${e}.click_id IS NOT NULL OR ${e}.medium = 'paid' THEN 'Paid'
    WHEN ${e}.medium = 'search' THEN 'Organic Search'
    WHEN ${e}.medium = 'social' THEN 'Social'
    WHEN ${e}.medium = 'email' THEN 'Email'
    WHEN ${e}.medium = 'referral' THEN 'Referral'
    ELSE 'Direct'
  END`;
