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

/** Why `userId` cannot be linked, or null when it can. */
export function illegalUserId(userId: string): string | null {
  const id = userId.trim();
  if (id !== userId) return 'leading or trailing white space';
  if (PLACEHOLDERS.has(id.toLowerCase())) return `"${userId}" is a placeholder, not a user id`;
  if (id.length > MAX_USER_ID) return `longer than ${MAX_USER_ID} characters`;
  if (/^0+$/.test(id)) return 'all zeros';
  if (/[\u0000-\u001f\u007f]/.test(id)) return 'contains control characters';
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
