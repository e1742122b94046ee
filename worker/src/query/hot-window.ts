/**
 * What a query answer says when part of its range is older than D1's hot window and its plan needs raw events
 * (storage/hot-window.ts): which part it could count, why, and where the rest is.
 */
export function hotWindowWarning(hotFrom: number): string {
  const day = new Date(hotFrom).toISOString().slice(0, 10);
  return (
    `raw events before ${day} are no longer in D1 (the site's hot window, retention_days.hot): ` +
    `figures that need individual events (custom events, event:* with visit:*, scroll depth, conversion rate, funnels) count from ${day} on; ` +
    `visit and page-view figures come from the rollups and cover the whole range. The full history is in the Parquet archive (GET /api/v1/archive).`
  );
}
