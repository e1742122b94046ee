/**
 * The zod validators for the wire format in `wire.ts` (envelopes, consent, identify); single events
 * are checked by `parseEvent` in `event.ts`. Both apply the rules in `rules.ts`. Worker-side only:
 * the snippet never bundles zod. Every failure names the field (zod path) so the collector can answer
 * `{"error":{code,message,field}}`.
 */
import { z } from 'zod';
import { LIMITS } from './limits';
import { CATEGORY_MESSAGE, CATEGORY_PATTERN, checkProps, ID_MESSAGE, ID_PATTERN, labelProblem, textProblem, timeProblem } from './rules';
import { CONSENT_METHODS, type Props, type WireBatch, type WireConsent, type WireIdentify } from './wire';

/** A zod refinement from one of the rules (which return a message or null). */
const rule =
  <T>(problem: (v: T) => string | null) =>
  (v: T, ctx: z.RefinementCtx) => {
    const message = problem(v);
    if (message) ctx.addIssue({ code: 'custom', message });
  };
const text = (max: number) => z.string().superRefine(rule((s: string) => textProblem(s, max)));

export const idSchema = z.string().regex(ID_PATTERN, ID_MESSAGE);
export const siteIdSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case site id');
export const categorySchema = z.string().regex(CATEGORY_PATTERN, CATEGORY_MESSAGE);
export const userIdSchema = z.string().superRefine(rule((s: string) => labelProblem(s, LIMITS.userIdLength)));

/** Flat properties as a null-prototype copy (see `checkProps`). */
export const propsSchema = z.unknown().transform((value, ctx): Props => {
  const r = checkProps(value);
  if (r.ok) return r.props;
  ctx.addIssue({ code: 'custom', message: r.message, ...(r.key === undefined ? {} : { path: [r.key] }) });
  return z.NEVER;
});

const tsSchema = z.number().superRefine(rule((ts: number) => timeProblem(ts, Date.now())));

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

/**
 * The consent id the browser keeps is a secret: the collector stores and shows only its hash (see
 * `publicConsentId`), so a receipt can only be posted under a consent id by the browser that holds it.
 * 32+ characters: the snippet's is a random UUID.
 */
export const consentSecretSchema = z.string().regex(/^[A-Za-z0-9_-]{32,64}$/, '32–64 characters of [A-Za-z0-9_-] (a random secret)');

export const consentSchema = z.object({
  s: siteIdSchema,
  id: consentSecretSchema,
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
  /** proof of possession of the browser whose anonymous id `a` names */
  k: browserSecretSchema,
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
