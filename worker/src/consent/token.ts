import type { Category, ConsentMethod } from '../../../shared/wire';
import { fromBase64Url, hmacKey, toBase64Url } from '../crypto/hmac';

/**
 * A consent token is what the collector hands back for a recorded decision and what the
 * snippet attaches to every batch: the granted categories, signed by the collector. Events are
 * judged against it, never against what the client claims, and checking it needs no storage.
 */
export interface ConsentClaims {
  /** site id */
  s: string;
  /** public consent id (the hash of the browser's consent secret) */
  c: string;
  /** the receipt this token was issued for: the consumer compares it with the consent id's latest decision */
  r?: string;
  /** granted categories (never includes "necessary", which is implicit) */
  g: Category[];
  /** policy version the decision was made under */
  v: string;
  m: ConsentMethod;
  /** 1 when a Global Privacy Control signal was present when the decision was made */
  gpc: 0 | 1;
  /** issued at, epoch seconds */
  iat: number;
  /** expires at, epoch seconds */
  exp: number;
}

/** A consent lasts 12 months, a refusal 6; the token never outlives the decision. */
export const GRANT_TTL_S = 365 * 24 * 3600;
export const REFUSAL_TTL_S = 182 * 24 * 3600;

export async function signToken(key: string, claims: ConsentClaims): Promise<string> {
  const payload = toBase64Url(new TextEncoder().encode(JSON.stringify(claims)));
  const sig = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(key), new TextEncoder().encode(payload)));
  return `${payload}.${toBase64Url(sig)}`;
}

export type TokenResult = { ok: true; claims: ConsentClaims } | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' | 'wrong_site' };

/** Tokens already verified in this isolate: a visitor sends the same one with every batch. */
const verified = new Map<string, ConsentClaims>();
const VERIFIED_MAX = 4096;

export async function verifyToken(key: string, token: string, site: string, nowS = Math.floor(Date.now() / 1000)): Promise<TokenResult> {
  const known = verified.get(key + token);
  if (known) return checkClaims(known, site, nowS);
  const result = await verifySignature(key, token);
  if (!result.ok) return result;
  if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value as string);
  verified.set(key + token, result.claims);
  return checkClaims(result.claims, site, nowS);
}

function checkClaims(claims: ConsentClaims, site: string, nowS: number): TokenResult {
  if (claims.s !== site) return { ok: false, reason: 'wrong_site' };
  if (!(claims.exp > nowS)) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}

async function verifySignature(key: string, token: string): Promise<TokenResult> {
  const dot = token.indexOf('.');
  if (dot < 1) return { ok: false, reason: 'malformed' };
  const payload = token.slice(0, dot);
  const sig = fromBase64Url(token.slice(dot + 1));
  if (!sig) return { ok: false, reason: 'malformed' };
  const valid = await crypto.subtle.verify('HMAC', await hmacKey(key), sig, new TextEncoder().encode(payload));
  if (!valid) return { ok: false, reason: 'bad_signature' };
  let claims: ConsentClaims;
  try {
    claims = JSON.parse(new TextDecoder().decode(fromBase64Url(payload) ?? new Uint8Array()));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  return { ok: true, claims };
}
