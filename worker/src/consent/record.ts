import { sha256Hex } from '../crypto/hmac';
import { apiError } from '../http/errors';
import { tombstoneStatements } from '../privacy/tombstones';

/** A consent receipt as stored: append-only evidence of one decision. */
export interface ReceiptRow {
  site_id: string;
  receipt_id: string;
  /** the public consent id: a hash of the browser's consent secret */
  consent_id: string;
  granted: string;
  denied: string;
  policy_version: string;
  method: string;
  gpc: 0 | 1;
  ts: number;
  received_at: number;
  anon_id: string | null;
}

/**
 * The consent id everyone else sees (tokens, receipts, exports, destinations): a hash of the secret
 * the browser keeps. Seeing it is no way to post a receipt under it.
 */
export const publicConsentId = async (secret: string): Promise<string> => (await sha256Hex(`tp-consent:${secret}`)).slice(0, 32);

const COLUMNS = ['site_id', 'receipt_id', 'consent_id', 'granted', 'denied', 'policy_version', 'method', 'gpc', 'ts', 'received_at', 'anon_id'] as const;
/** Everything a retry must repeat exactly (the receive time is the first one's). */
const same = (a: ReceiptRow, b: ReceiptRow) => COLUMNS.every((k) => k === 'received_at' || a[k] === b[k]);

const byId = (db: D1Database, r: ReceiptRow) =>
  db.prepare(`SELECT ${COLUMNS.join(', ')} FROM consent_receipts WHERE site_id = ?1 AND receipt_id = ?2`).bind(r.site_id, r.receipt_id).first<ReceiptRow>();

/**
 * Stores a decision before any token is issued for it, in one transaction: the receipt, the consent
 * id's latest state (read by the queue consumer: a narrower decision binds every batch received after
 * it, whatever token it carries), and — when it denies analytics — tombstones for every anonymous id
 * granted under this consent id. A receipt id is stored once: a retry with the same content answers
 * as the first time did; the same id with other content is a 409, never a token without evidence.
 */
export async function recordDecision(db: D1Database, row: ReceiptRow): Promise<ReceiptRow> {
  const existing = await byId(db, row);
  if (existing) return sameOrConflict(existing, row);
  const withdrawn = JSON.parse(row.denied).includes('analytics') ? await grantedAnons(db, row) : [];
  const [ins] = await db.batch([
    db
      .prepare(`INSERT OR IGNORE INTO consent_receipts (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((_, i) => `?${i + 1}`).join(', ')})`)
      .bind(...COLUMNS.map((k) => row[k])),
    // From whichever receipt holds the id now (ours, or a concurrent twin's): the state never names a receipt that isn't stored.
    db
      .prepare(
        `INSERT INTO consent_state (site_id, consent_id, receipt_id, granted, decided_at)
         SELECT site_id, consent_id, receipt_id, granted, received_at FROM consent_receipts WHERE site_id = ?1 AND receipt_id = ?2
         ON CONFLICT (site_id, consent_id) DO UPDATE SET receipt_id = excluded.receipt_id, granted = excluded.granted, decided_at = excluded.decided_at
         WHERE excluded.decided_at >= consent_state.decided_at`,
      )
      .bind(row.site_id, row.receipt_id),
    ...(await tombstoneStatements(db, row.site_id, withdrawn.map((id) => ({ id, scope: 'anon' as const })), 'withdrawn', row.received_at)),
  ]);
  if (ins!.meta.changes === 1) return row;
  const winner = await byId(db, row);
  return winner ? sameOrConflict(winner, row) : row;
}

function sameOrConflict(stored: ReceiptRow, row: ReceiptRow): ReceiptRow {
  if (same(stored, row)) return stored;
  throw apiError(409, 'receipt_conflict', 'this receipt id is already stored with other content; a new decision needs a new receipt id', 'ri');
}

/** Anonymous ids a consent id granted analytics to (its own receipts say so), this one's included. */
async function grantedAnons(db: D1Database, row: ReceiptRow): Promise<string[]> {
  const { results } = await db
    .prepare('SELECT DISTINCT anon_id FROM consent_receipts WHERE site_id = ?1 AND consent_id = ?2 AND anon_id IS NOT NULL')
    .bind(row.site_id, row.consent_id)
    .all<{ anon_id: string }>();
  return results.map((r) => r.anon_id);
}
