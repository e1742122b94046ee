/**
 * The validators for the wire format in `wire.ts`. Worker-side only: the snippet never bundles zod.
 * Every failure names the field (zod path) so the collector can answer `{"error":{code,message,field}}`.
 */
import { z } from 'zod';
import { LIMITS } from './limits';
import { CONSENT_METHODS, EVENT, type Props, type WireBatch, type WireConsent, type WireEvent, type WireIdentify } from './wire';

/** Lone UTF-16 surrogates can't be stored as UTF-8 text without silent replacement. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Keys that would reach an object's prototype if ever assigned naively. */
export const BUILTIN_EVENTS: readonly string[] = Object.values(EVENT);

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const text = (max: number) =>
  z
    .string()
    .max(max, `at most ${max} characters`)
    .refine((s) => !LONE_SURROGATE.test(s), 'contains an unpaired UTF-16 surrogate')
    .refine((s) => !s.includes('\u0000'), 'contains a NUL character');

export const idSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, '8–64 characters of [A-Za-z0-9_-]');
export const siteIdSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case site id');
export const categorySchema = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'lower-case category id');
export const nameSchema = text(LIMITS.nameLength)
  .min(1, 'must not be empty')
  .refine((s) => !CONTROL.test(s), 'contains control characters');
export const userIdSchema = text(LIMITS.userIdLength)
  .min(1, 'must not be empty')
  .refine((s) => !CONTROL.test(s), 'contains control characters');
export const urlSchema = text(LIMITS.urlLength).refine((s) => {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}, 'must be an absolute http(s) URL');

/**
 * Flat properties: string/number/boolean/null values, bounded keys and lengths.
 * Returns a null-prototype copy so no key can ever touch `Object.prototype`.
 */
export const propsSchema = z.unknown().transform((value, ctx): Props => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: 'must be an object of flat values' });
    return z.NEVER;
  }
  const keys = Object.keys(value);
  if (keys.length > LIMITS.propsPerEvent) {
    ctx.addIssue({ code: 'custom', message: `at most ${LIMITS.propsPerEvent} properties` });
    return z.NEVER;
  }
  const out: Props = Object.create(null);
  for (const key of keys) {
    const v = (value as Record<string, unknown>)[key];
    if (FORBIDDEN_KEYS.has(key) || key.length === 0 || key.length > LIMITS.propKeyLength || CONTROL.test(key) || LONE_SURROGATE.test(key)) {
      ctx.addIssue({ code: 'custom', path: [key], message: `property name not allowed (1–${LIMITS.propKeyLength} characters; not __proto__/constructor/prototype)` });
      return z.NEVER;
    }
    if (typeof v === 'string') {
      if (v.length > LIMITS.propValueLength || LONE_SURROGATE.test(v) || v.includes('\u0000')) {
        ctx.addIssue({ code: 'custom', path: [key], message: `string values: at most ${LIMITS.propValueLength} well-formed characters` });
        return z.NEVER;
      }
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'numbers must be finite' });
        return z.NEVER;
      }
    } else if (typeof v !== 'boolean' && v !== null) {
      ctx.addIssue({ code: 'custom', path: [key], message: 'values must be string, number, boolean or null' });
      return z.NEVER;
    }
    out[key] = v as Props[string];
  }
  return out;
});

/** Events may be late (offline retry) but not older than LIMITS.maxAgeMs, nor from the future. */
const tsSchema = z
  .number()
  .int('must be an integer (epoch milliseconds)')
  .refine((ts) => {
    const now = Date.now();
    return ts >= now - LIMITS.maxAgeMs && ts <= now + LIMITS.maxSkewMs;
  }, 'outside the accepted window (7 days ago to 5 minutes ahead)');

export const eventSchema = z
  .object({
  i: idSchema,
  n: nameSchema,
  c: categorySchema,
  ts: tsSchema,
  u: urlSchema,
  r: text(LIMITS.urlLength).optional(),
  pv: idSchema.optional(),
  p: propsSchema.optional(),
  x: z.literal(1).optional(),
  })
  .refine((e) => !(e.x === 1 && BUILTIN_EVENTS.includes(e.n)), { message: 'custom events may not use a built-in event name', path: ['n'] }) satisfies z.ZodType<WireEvent, unknown>;

/** The batch envelope. Events are validated one by one so that good ones survive bad neighbours. */
export const batchSchema = z.object({
  s: siteIdSchema,
  t: z.string().max(1024).optional(),
  a: idSchema.optional(),
  u: userIdSchema.optional(),
  ss: idSchema.optional(),
  e: z.array(z.unknown()).min(1, 'at least one event').max(LIMITS.eventsPerBatch, `at most ${LIMITS.eventsPerBatch} events`),
});
export type BatchEnvelope = Omit<WireBatch, 'e'> & { e: unknown[] };

/** The per-browser secret that authorizes /v1/me (sent only with consent receipts and registration). */
export const browserSecretSchema = z.string().regex(/^[A-Za-z0-9_-]{32,128}$/, '32–128 characters of [A-Za-z0-9_-]');

export const consentSchema = z.object({
  s: siteIdSchema,
  id: idSchema,
  ri: idSchema,
  g: z.record(categorySchema, z.boolean()).refine((g) => Object.keys(g).length <= 32, 'at most 32 categories'),
  v: text(64).min(1),
  m: z.enum(CONSENT_METHODS),
  ts: tsSchema,
  gpc: z.boolean().optional(),
  a: idSchema.optional(),
  k: browserSecretSchema.optional(),
}) satisfies z.ZodType<WireConsent, unknown>;

/** POST /v1/identify: link this browser's anonymous id to the site's user id (see WireIdentify). */
export const identifySchema = z.object({
  s: siteIdSchema,
  a: idSchema,
  u: userIdSchema,
  t: z.string().max(1024).optional(),
  token: z.string().max(256).optional(),
  traits: propsSchema.optional(),
}) satisfies z.ZodType<WireIdentify, unknown>;

export interface FieldError {
  code: string;
  message: string;
  field?: string;
}

/** The first zod issue as a field error; `prefix` locates the value inside the request body. */
export function firstIssue(error: z.ZodError, prefix = ''): FieldError {
  const issue = error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
  return { code: 'invalid_field', message: issue?.message ?? 'invalid', field: path || undefined };
}
