// The dashboard's only data path: the collector's own API (CONTRACT §3, §5), authorized by the session cookie. No
// Authorization header and no key in the page: the browser sends the HttpOnly cookie, and `Origin` for the CSRF check.
import type { DateRange, Filter, Step } from './state';

export interface ApiError {
  ok: false;
  status: number;
  code: string;
  message: string;
  /** the collector doesn't answer this question (an endpoint, metric or dimension it doesn't have yet) */
  unavailable: boolean;
}
export type Answer<T> = { ok: true; data: T } | ApiError;

let onSignedOut: () => void = () => {};
/** Called when any call answers 401: the session ended (expired, signed out elsewhere, key revoked). */
export const whenSignedOut = (fn: () => void) => (onSignedOut = fn);

/**
 * One call. Never throws: a failure becomes an answer the panel can show. "Unavailable" is told apart from an error so the
 * panel can say honestly that this collector has no such data yet, instead of showing zeros or a scary failure: a 404 for
 * the endpoint, or a 400 naming a metric or dimension outside the API's list.
 */
export async function call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, signal?: AbortSignal, attempt = 0): Promise<Answer<T>> {
  const failed = (code: string, message: string, status = 0): ApiError => ({ ok: false, status, code, message, unavailable: false });
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
      signal: signal ?? null,
    });
  } catch {
    return failed(signal?.aborted ? 'aborted' : 'network', 'the collector could not be reached');
  }
  // A gateway hiccup (a restarting Worker, 502–504) is asked once more: every data call here is a read.
  if (res.status >= 502 && res.status <= 504 && path.startsWith('/api/') && attempt === 0 && !signal?.aborted) {
    await new Promise((ok) => setTimeout(ok, 250));
    return call(method, path, body, signal, 1);
  }
  if (res.ok) {
    try {
      return { ok: true, data: (res.status === 204 ? null : await res.json()) as T };
    } catch {
      // A body cut short (the connection dropped mid-answer; seen with the local dev proxy under load) is asked once more,
      // then it is a failed call — never a broken panel.
      if (signal?.aborted) return failed('aborted', 'the request was cancelled');
      if (attempt === 0 && path.startsWith('/api/')) return call(method, path, body, signal, 1);
      return failed('network', 'the answer was cut short', res.status);
    }
  }
  const err = ((await res.json().catch(() => null)) as { error?: { code?: string; message?: string; field?: string } } | null)?.error ?? {};
  if (res.status === 401 && path.startsWith('/api/')) onSignedOut();
  const field = err.field ?? '';
  const unavailable =
    (res.status === 404 && err.code === 'not_found') ||
    (res.status === 400 && /^(metrics|dimensions|filters|date_range)\b/.test(field) && /must be one of/.test(err.message ?? ''));
  return { ok: false, status: res.status, code: err.code ?? 'error', message: err.message ?? `HTTP ${res.status}`, unavailable };
}

export interface QueryBody {
  metrics: string[];
  /** "realtime": the last 5 minutes (worker/src/query/time.ts) */
  date_range: DateRange | 'realtime';
  dimensions?: string[];
  filters?: Filter[];
  order_by?: [string, 'asc' | 'desc'][];
  limit?: number;
}
export interface QueryAnswer {
  results: { dimensions: (string | number | null)[]; metrics: (number | null)[] }[];
  meta: { date_range: [string, string]; currency?: string; total_rows?: number; warnings?: string[] };
}

export const query = (site: string, q: QueryBody, signal?: AbortSignal) => call<QueryAnswer>('POST', '/api/v1/query', { site_id: site, ...q }, signal);

export interface FunnelAnswer {
  steps: { step: number; event: string; page?: string; visitors: number; conversion_rate: number; step_conversion_rate: number; dropoff: number }[];
  meta?: { warnings?: string[] };
}
export const funnel = (site: string, range: DateRange, steps: Step[], signal?: AbortSignal) =>
  call<FunnelAnswer>('POST', '/api/v1/funnel', { site_id: site, date_range: range, steps }, signal);

/** GET /api/v1/consent takes the range as a name or "from,to". */
export const consent = <T>(site: string, range: DateRange, signal?: AbortSignal) =>
  call<T>('GET', `/api/v1/consent?site_id=${encodeURIComponent(site)}&date_range=${encodeURIComponent(Array.isArray(range) ? range.join(',') : range)}`, undefined, signal);

export const journey = <T>(site: string, range: DateRange, signal?: AbortSignal) => call<T>('POST', '/api/v1/journey', { site_id: site, date_range: range }, signal);
export const retention = <T>(site: string, range: DateRange, period: 'day' | 'week' | 'month', signal?: AbortSignal) =>
  call<T>('POST', '/api/v1/retention', { site_id: site, date_range: range, period }, signal);

export interface Site {
  id: string;
  name: string;
  timezone: string;
  categories: string[];
  goals?: { id: string; name?: string; stage?: string; event?: string; page?: string }[];
  currency?: string;
}
export interface SessionAnswer {
  sites: Site[];
  expires_at: string;
}
export const session = {
  get: () => call<SessionAnswer>('GET', '/dashboard/api/session'),
  signIn: (key: string) => call<SessionAnswer>('POST', '/dashboard/api/session', { key }),
  signOut: () => call<null>('DELETE', '/dashboard/api/session'),
};
