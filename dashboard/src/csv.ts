// CSV per RFC 4180 (quoted when needed, CRLF), guarded against formula injection: page paths and UTM values come from
// visitors' URLs, so a cell starting with = + - @ (or a tab / CR) is prefixed with ' before a spreadsheet sees it
// (OWASP, "CSV Injection").

const cell = (v: string | number | null | undefined): string => {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

export const toCsv = (header: string[], rows: (string | number | null)[][]): string => [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';

/** Hands the file to the browser as a download (a blob URL, revoked once clicked). */
export function download(name: string, csv: string): void {
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
