import { digestsEqual, sha256Hex } from '../crypto/hmac';
import { apiError } from '../http/errors';
import { tombstoneStatement } from './tombstones';

/**
 * Proof that a request comes from the browser an anonymous id belongs to. Anonymous ids travel in
 * every event, export and destination payload, so an id alone proves nothing: each is bound to a
 * browser secret (256 random bits, kept only in that browser; the collector stores its SHA-256).
 *
 * The binding is made once, at the id's first use, and only while the id has no data: a new id
 * is claimed by the first request that names it with a secret (the consent receipt that created it,
 * or `POST /v1/me` after a rotation). An id that already has events, links or receipts but no secret
 * (made before secrets existed, or whose registration never arrived) can't be claimed by anyone:
 * that would hand its history to whoever asks first. An erased id is dead for good.
 */
export type BrowserProof =
  | { ok: true; registered: boolean }
  | { ok: false; status: 401 | 410; code: 'wrong_browser_secret' | 'erased' | 'unclaimable'; message: string };

export async function proveBrowser(db: D1Database, siteId: string, anonId: string, secret: string, now: number): Promise<BrowserProof> {
  // Only this id *as an anonymous id*: a user id spelled the same, erased, is someone else.
  const [tomb, stored, data] = await db.batch<{ n?: number; secret_hash?: string }>([
    await tombstoneStatement(db, siteId, anonId, 'anon'),
    db.prepare('SELECT secret_hash FROM browser_secrets WHERE site_id = ?1 AND anon_id = ?2').bind(siteId, anonId),
    db.prepare(
      `SELECT (EXISTS (SELECT 1 FROM events WHERE site_id = ?1 AND anon_id = ?2)
            OR EXISTS (SELECT 1 FROM identity_links WHERE site_id = ?1 AND anon_id = ?2)
            OR EXISTS (SELECT 1 FROM consent_receipts WHERE site_id = ?1 AND anon_id = ?2)) AS n`,
    ).bind(siteId, anonId),
  ]);
  if (tomb!.results[0]?.n) return dead('erased', 'this anonymous id was erased or withdrawn; start a new one');
  const hash = await sha256Hex(secret);
  const known = stored!.results[0]?.secret_hash;
  if (known) return matches(known, hash);
  if (data!.results[0]?.n) return dead('unclaimable', 'this anonymous id has data but no browser secret bound to it; start a new one');
  const ins = await db
    .prepare('INSERT OR IGNORE INTO browser_secrets (site_id, anon_id, secret_hash, created_at) VALUES (?1, ?2, ?3, ?4)')
    .bind(siteId, anonId, hash, now)
    .run();
  if (ins.meta.changes === 1) return { ok: true, registered: true };
  // Another request registered it first: what is stored decides.
  const winner = await db.prepare('SELECT secret_hash FROM browser_secrets WHERE site_id = ?1 AND anon_id = ?2').bind(siteId, anonId).first<{ secret_hash: string }>();
  return matches(winner?.secret_hash ?? '', hash);
}

const dead = (code: 'erased' | 'unclaimable', message: string): BrowserProof => ({ ok: false, status: 410, code, message });

function matches(stored: string, given: string): BrowserProof {
  // Constant time: the answer must not tell how much of a guessed secret was right.
  return digestsEqual(given, stored.padEnd(64, '0'))
    ? { ok: true, registered: false }
    : { ok: false, status: 401, code: 'wrong_browser_secret', message: 'this anonymous id is bound to another browser secret' };
}

/** The proof, or the 4xx that tells the snippet what to do (410: start a new anonymous id). */
export async function requireBrowser(db: D1Database, siteId: string, anonId: string, secret: string, now: number, field = 'a'): Promise<{ registered: boolean }> {
  const p = await proveBrowser(db, siteId, anonId, secret, now);
  if (!p.ok) throw apiError(p.status, p.code, p.message, p.status === 401 ? 'k' : field);
  return p;
}
