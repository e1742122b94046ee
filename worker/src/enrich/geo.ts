export interface Geo {
  country: string | null;
  region: string | null;
  city: string | null;
  timezone: string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 && v.length < 100 ? v : null);

/** Geo from Cloudflare's `request.cf`; absent (local dev, tests) means nulls, not a crash. */
export function geoFrom(cf: IncomingRequestCfProperties | Record<string, unknown> | undefined): Geo {
  const p = (cf ?? {}) as Record<string, unknown>;
  const country = str(p.country);
  return {
    country: country && /^[A-Z]{2}$/.test(country) && country !== 'XX' && country !== 'T1' ? country : null,
    region: str(p.region),
    city: str(p.city),
    timezone: str(p.timezone),
  };
}
