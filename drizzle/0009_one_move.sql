-- A recording with two moves queued (to two tiers at once) loses both: the keeper queues the
-- right one again within seconds. What they may have written is discarded unless a row or a
-- copy points at it.
INSERT OR IGNORE INTO `discards` (`tier`, `key`, `queued_at`, `next_try_at`)
  SELECT t.tier, t.key, (julianday('now') - 2440587.5) * 86400.0, 0 FROM `transfers` t
  WHERE t.kind = 'move' AND t.recording_id IN (SELECT recording_id FROM `transfers` WHERE kind = 'move' GROUP BY recording_id HAVING count(*) > 1)
  AND NOT EXISTS (SELECT 1 FROM `recordings` r WHERE r.tier = t.tier AND r.path = t.key)
  AND NOT EXISTS (SELECT 1 FROM `copies` c WHERE c.tier = t.tier AND c.key = t.key);--> statement-breakpoint
DELETE FROM `transfers` WHERE kind = 'move' AND recording_id IN (SELECT recording_id FROM `transfers` WHERE kind = 'move' GROUP BY recording_id HAVING count(*) > 1);--> statement-breakpoint
CREATE UNIQUE INDEX `transfers_one_move` ON `transfers` (`recording_id`) WHERE kind = 'move';
