-- Where D1's raw events actually begin, per site: retention moves `dropped_before` forward when it removes raw events
-- past the hot window (they stay in the Parquet archive). Queries that need raw events clamp their range to it and say so
-- (meta.warnings) — only where rows were really removed, not wherever the clock says they would be.
CREATE TABLE hot_window (
  site_id        TEXT    PRIMARY KEY,
  dropped_before INTEGER NOT NULL   -- epoch ms: raw events before this may be missing from D1
);
