/**
 * Which user ids may be linked at all. Sites sometimes call identify with what their template had
 * at hand — an empty string, "null", "undefined", "0", a guest placeholder, an object stringified —
 * and a tracker that accepts those merges every visitor who hit the bug into one "user".
 */
const PLACEHOLDERS = new Set([
  '', 'null', 'undefined', 'nil', 'none', 'nan', 'true', 'false', '0', '-1', 'anonymous', 'anon', 'guest', 'user', 'unknown',
  'visitor', 'test', 'id', 'user_id', 'userid', 'email', '[object object]', 'object object', '{}', '[]', 'n/a', 'na', '-',
]);

export const MAX_USER_ID = 256;

/**
 * What a user id reads as, for telling placeholders apart: compatibility forms folded (NFKC: full-width "ｎｕｌｌ" is
 * "null"), invisible characters removed (Unicode Cf and default-ignorables: zero-width space and joiners, BOM, soft
 * hyphen, bidi marks, Hangul fillers; and the blank braille pattern), white space collapsed, lower case. A template that
 * renders `null` with a stray zero-width space is still the template's `null`. Used for checking only: the id is stored
 * as sent.
 */
function readableUserId(userId: string): string {
  const invisible = /[\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/gu;
  return userId.replace(invisible, '').normalize('NFKC').replace(invisible, '').replace(/\s+/gu, ' ').trim().toLowerCase();
}

/** "0", "-0", "0.0", "+0", "0e0", "00.00", "-1.0": the numbers a missing id is rendered as. */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/;
const isPlaceholderNumber = (id: string) => NUMBER.test(id) && (Number(id) === 0 || Number(id) === -1);

/** Why `userId` cannot be linked, or null when it can. */
export function illegalUserId(userId: string): string | null {
  if (userId.trim() !== userId) return 'leading or trailing white space';
  if (userId.length > MAX_USER_ID) return `longer than ${MAX_USER_ID} characters`;
  if (/\p{Cc}/u.test(userId)) return 'contains control characters';
  const readable = readableUserId(userId);
  if (!readable) return 'empty once invisible characters are removed';
  if (PLACEHOLDERS.has(readable) || isPlaceholderNumber(readable)) return `"${userId}" is a placeholder, not a user id`;
  return null;
}

/** Link-rate limits (per site): a user gains at most this many devices an hour; an anonymous id tries at most this many identifies an hour. */
export const LINK_LIMITS = { perUserPerHour: 10, perAnonPerHour: 5 } as const;

/** Trait names that identify a person: stored only when the site's config lists them in `allowed_traits`. */
export const PERSONAL_TRAITS = new Set([
  'email', 'name', 'first_name', 'firstname', 'last_name', 'lastname', 'full_name', 'phone', 'mobile', 'address', 'street',
  'postal_code', 'zip', 'birthday', 'birthdate', 'date_of_birth', 'ip', 'ssn', 'tax_id', 'iban',
]);

export const MAX_TRAITS_BYTES = 8 * 1024;

/** Splits traits into what may be stored and the names refused as personal data the site did not allow. */
export function allowedTraits(traits: Record<string, unknown>, allowed: readonly string[]): { keep: Record<string, unknown>; refused: string[] } {
  const keep: Record<string, unknown> = {};
  const refused: string[] = [];
  for (const [k, v] of Object.entries(traits)) {
    if (PERSONAL_TRAITS.has(k.toLowerCase()) && !allowed.includes(k)) refused.push(k);
    else keep[k] = v;
  }
  return { keep, refused };
}
