-- The latest decision per consent id, written by POST /v1/consent in the same transaction as its receipt
-- (receipts no longer travel through the queue: a token is only issued once its evidence is stored).
-- The queue consumer reads it, so a batch received after a narrower decision can't store a withdrawn
-- category, whatever older token it carries.
CREATE TABLE consent_state (
  site_id    TEXT    NOT NULL,
  consent_id TEXT    NOT NULL,
  receipt_id TEXT    NOT NULL,
  granted    TEXT    NOT NULL,   -- JSON array of categories
  decided_at INTEGER NOT NULL,   -- received_at of that receipt, epoch ms
  PRIMARY KEY (site_id, consent_id)
) WITHOUT ROWID;

INSERT INTO consent_state (site_id, consent_id, receipt_id, granted, decided_at)
SELECT site_id, consent_id, receipt_id, granted, received_at FROM (
  SELECT *, row_number() OVER (PARTITION BY site_id, consent_id ORDER BY received_at DESC, receipt_id DESC) AS rn FROM consent_receipts
) WHERE rn = 1;
