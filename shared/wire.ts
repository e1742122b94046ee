/**
 * The wire format between snippet and collector — the one place its short keys are defined.
 * The snippet imports only these types and constants (no validator in the browser bundle);
 * the worker validates events with `shared/event.ts` and the other bodies with `shared/schema.ts`.
 *
 * POST /v1/e  (text/plain or application/json) — an event batch:
 * ```
 * { "s": site id, "t"?: consent token, "a"?: anonymous id, "u"?: user id, "ss"?: session id,
 *   "e": [ { "i": event id, "n": name, "c": category, "ts": epoch ms, "u": page URL,
 *            "r"?: referrer, "pv"?: page-view id, "p"?: { flat props }, "x"?: 1 for custom events,
 *            "rv"?: { "a": amount, "c": currency } } ] }
 * ```
 * `rv` is revenue (`tp.track(name, props, {revenue: {amount, currency}})`): `a` the amount in major units as a plain JSON
 * number (`19.99`, finite, 0 to 1e9), `c` its ISO 4217 code (`"EUR"`). The collector stores it exactly in the currency's
 * minor units (`shared/money.ts`). The `share` built-in event (`n: "share"`) is a share: `navigator.share()` called by the
 * page, or a click on an element marked `data-tp-share` (its value naming the network, e.g. `"linkedin"`): props `{ "network": data-tp-share value }` for a
 * link or button (the click event next to it carries the cleaned `href`), none for `navigator.share()`. Clicks inside an
 * element marked `data-tp-view` carry `view` (its value): the impressions → clicks of that element.
 * POST /v1/consent — a consent decision (answered with a signed consent token):
 * ```
 * { "s": site id, "id": consent secret, "ri": receipt id, "g": { category: granted },
 *   "v": policy version, "m": method, "ts": epoch ms, "gpc"?: bool, "a"?: anonymous id, "k"?: browser secret }
 * ```
 * `id` never leaves the browser and the collector: receipts, tokens and exports carry its hash, the
 * public consent id. `a` must come with `k`, the secret registered for it (first use registers it).
 * A 410 answer (`erased`, `unclaimable`) means the anonymous id is dead: start a new one and resend.
 */

/**
 * Built-in event names (an enum so that esbuild inlines the strings into the snippet).
 * Custom events from `tp.track` carry `x: 1` and may not use these names.
 */
export enum EVENT {
  pageview = 'pageview',
  engagement = 'engagement',
  click = 'click',
  outbound = 'outbound',
  download = 'download',
  rageClick = 'rage_click',
  scroll = 'scroll',
  formStart = 'form_start',
  formField = 'form_field',
  formError = 'form_error',
  formSubmit = 'form_submit',
  formAbandon = 'form_abandon',
  impression = 'impression',
  share = 'share',
}


/** Consent categories every site has. Sites may add their own. */
export const DEFAULT_CATEGORIES = ['necessary', 'analytics', 'marketing', 'personalization'] as const;
export type Category = string;

/** How a consent decision was made. */
export const CONSENT_METHODS = ['banner', 'preferences', 'api', 'gpc'] as const;
export type ConsentMethod = (typeof CONSENT_METHODS)[number];

export type PropValue = string | number | boolean | null;
export type Props = Record<string, PropValue>;

export interface WireEvent {
  /** client-generated event id: the idempotency key */
  i: string;
  /** event name */
  n: string;
  /** consent category the event belongs to */
  c: Category;
  /** client time, epoch ms */
  ts: number;
  /** page URL */
  u: string;
  /** referrer (page views) */
  r?: string;
  /** page-view id this event happened in */
  pv?: string;
  p?: Props;
  /** 1 for custom events (tp.track) */
  x?: 1;
  /** revenue of a conversion: see the header */
  rv?: WireRevenue;
}

/** Revenue on the wire: `a` the amount in major units (`19.99`), `c` the ISO 4217 currency code (`"EUR"`). */
export interface WireRevenue {
  a: number;
  c: string;
}

export interface WireBatch {
  s: string;
  t?: string;
  a?: string;
  u?: string;
  ss?: string;
  e: WireEvent[];
}

export interface WireConsent {
  s: string;
  id: string;
  ri: string;
  g: Record<Category, boolean>;
  v: string;
  m: ConsentMethod;
  ts: number;
  gpc?: boolean;
  a?: string;
  k?: string;
}

/**
 * POST /v1/identify — `tp.identify(userId, {token, traits})`: links the anonymous id `a` to the
 * user `u`, proven by the browser secret `k` (410 when `a` is dead: start a new one and retry). `t` is the consent token (analytics must be granted); `token` the site back end's
 * hex(HMAC-SHA256(userId, identity secret)).
 */
export interface WireIdentify {
  s: string;
  a: string;
  /** the browser secret registered for `a`: proof that this browser holds the anonymous id */
  k: string;
  u: string;
  t?: string;
  token?: string;
  traits?: Props;
}

/** Answer to POST /v1/consent. */
export interface ConsentAnswer {
  token: string;
  granted: Category[];
}

/**
 * Answer to GET /v1/config?s=&l=&f=2 — only what the first page view needs (the banner and the rules),
 * with short keys: every byte of it is part of the first page view. The preferences dialog asks for its
 * texts with `&p=1` when it is opened (`PanelConfigAnswer`). Without `f=2` the collector answers the
 * earlier shape (`LegacySiteConfigAnswer`), which a tp.js cached before this one still reads.
 */
export interface SiteConfigAnswer {
  /** policy version */
  v: string;
  /** cookieless mode: page views without identifiers before/without analytics consent (sent only when on) */
  cl?: true;
  /** Google Consent Mode bridge forced on (sent only when on) */
  gcm?: true;
  /** hash-based SPA page views (sent only when on) */
  hash?: true;
  /** the language the texts are in */
  l: string;
  /** the banner's texts, in this order */
  t: [title: string, body: string, accept: string, reject: string, prefs: string];
  /** the optional categories (all but necessary), in display order */
  c: Category[];
}

/** The first-view answer as it was before `f=2` (long keys, texts by name). */
export interface LegacySiteConfigAnswer extends Omit<SiteConfigAnswer, 'l' | 't' | 'c'> {
  lang: string;
  tx: Pick<BannerTexts, 'title' | 'body' | 'accept' | 'reject' | 'prefs'>;
  cats: Category[];
}

/** Answer to GET /v1/config?s=&l=&p=1 — the preferences dialog's texts. */
export interface PanelConfigAnswer {
  tx: BannerTexts;
  /** every category in display order, necessary first (req) */
  cats: { id: Category; name: string; desc: string; req?: boolean; svc?: string[] }[];
}

export interface BannerTexts {
  title: string;
  body: string;
  accept: string;
  reject: string;
  prefs: string;
  save: string;
  prefsTitle: string;
  gpc: string;
  yourData: string;
  download: string;
  erase: string;
  /** the question "Erase my data" asks first, and its two answers */
  eraseAsk: string;
  eraseYes: string;
  cancel: string;
  /** "Your data" outcomes (`erased` also says what happens next) */
  downloaded: string;
  erased: string;
  noData: string;
  failed: string;
  close: string;
}

/** The collector's public paths (an enum: esbuild inlines the strings into the snippet). */
export enum PATH {
  events = '/v1/e',
  consent = '/v1/consent',
  config = '/v1/config',
  identify = '/v1/identify',
  me = '/v1/me',
}
