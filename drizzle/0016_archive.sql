CREATE TABLE `archive_dirty` (
	`kind` text NOT NULL,
	`camera` text NOT NULL,
	`period` integer NOT NULL,
	`since` real NOT NULL,
	`changes` integer DEFAULT 1 NOT NULL,
	PRIMARY KEY(`kind`, `camera`, `period`)
);

--> statement-breakpoint
-- The bucket's archive (docs/archive.md): whatever changes what a manifest says marks it, where it changes.
-- (A deleted recording marks its hour in the discards trigger, db/tiers.ts: only footage in a tier matters.)
CREATE TRIGGER `archive_copy_made` AFTER INSERT ON `copies` BEGIN
  INSERT INTO `archive_dirty` (kind, camera, period, since)
    SELECT 'hour', camera, CAST(start_time / 3600 AS INTEGER) * 3600, (julianday('now') - 2440587.5) * 86400.0 FROM `recordings` WHERE id = NEW.recording_id
    ON CONFLICT (kind, camera, period) DO UPDATE SET changes = changes + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `archive_copy_forgotten` AFTER DELETE ON `copies` BEGIN
  INSERT INTO `archive_dirty` (kind, camera, period, since)
    SELECT 'hour', camera, CAST(start_time / 3600 AS INTEGER) * 3600, (julianday('now') - 2440587.5) * 86400.0 FROM `recordings` WHERE id = OLD.recording_id
    ON CONFLICT (kind, camera, period) DO UPDATE SET changes = changes + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `archive_recording_repointed` AFTER UPDATE OF `tier` ON `recordings` WHEN NEW.tier IS NOT OLD.tier BEGIN
  INSERT INTO `archive_dirty` (kind, camera, period, since)
    VALUES ('hour', NEW.camera, CAST(NEW.start_time / 3600 AS INTEGER) * 3600, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (kind, camera, period) DO UPDATE SET changes = changes + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `archive_sealed` AFTER INSERT ON `seals` BEGIN
  INSERT INTO `archive_dirty` (kind, camera, period, since)
    VALUES ('hour', NEW.camera, CAST(NEW.hour / 3600 AS INTEGER) * 3600, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (kind, camera, period) DO UPDATE SET changes = changes + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `archive_event_added` AFTER INSERT ON `events` BEGIN
  INSERT INTO `archive_dirty` (kind, camera, period, since)
    VALUES ('events', NEW.camera, CAST(NEW.start_time / 86400 AS INTEGER) * 86400, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (kind, camera, period) DO UPDATE SET changes = changes + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `archive_event_changed` AFTER UPDATE ON `events` BEGIN
  INSERT INTO `archive_dirty` (kind, camera, period, since)
    VALUES ('events', OLD.camera, CAST(OLD.start_time / 86400 AS INTEGER) * 86400, (julianday('now') - 2440587.5) * 86400.0), ('events', NEW.camera, CAST(NEW.start_time / 86400 AS INTEGER) * 86400, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (kind, camera, period) DO UPDATE SET changes = changes + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `archive_event_deleted` AFTER DELETE ON `events` BEGIN
  INSERT INTO `archive_dirty` (kind, camera, period, since)
    VALUES ('events', OLD.camera, CAST(OLD.start_time / 86400 AS INTEGER) * 86400, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (kind, camera, period) DO UPDATE SET changes = changes + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `archive_cases_insert` AFTER INSERT ON `cases` BEGIN
  INSERT INTO `archive_dirty` (kind, camera, period, since)
    VALUES ('cases', '', 0, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (kind, camera, period) DO UPDATE SET changes = changes + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `archive_cases_update` AFTER UPDATE ON `cases` BEGIN
  INSERT INTO `archive_dirty` (kind, camera, period, since)
    VALUES ('cases', '', 0, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (kind, camera, period) DO UPDATE SET changes = changes + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `archive_cases_delete` AFTER DELETE ON `cases` BEGIN
  INSERT INTO `archive_dirty` (kind, camera, period, since)
    VALUES ('cases', '', 0, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (kind, camera, period) DO UPDATE SET changes = changes + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `archive_case_spans_insert` AFTER INSERT ON `case_spans` BEGIN
  INSERT INTO `archive_dirty` (kind, camera, period, since)
    VALUES ('cases', '', 0, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (kind, camera, period) DO UPDATE SET changes = changes + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `archive_case_spans_update` AFTER UPDATE ON `case_spans` BEGIN
  INSERT INTO `archive_dirty` (kind, camera, period, since)
    VALUES ('cases', '', 0, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (kind, camera, period) DO UPDATE SET changes = changes + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `archive_case_spans_delete` AFTER DELETE ON `case_spans` BEGIN
  INSERT INTO `archive_dirty` (kind, camera, period, since)
    VALUES ('cases', '', 0, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (kind, camera, period) DO UPDATE SET changes = changes + 1;
END;
--> statement-breakpoint
-- Now also marking the deleted recording's hour (db/tiers.ts): made here whether tiers are used or
-- not, so that a command run before the keeper's next start deletes as it must; the keeper drops it
-- again as it starts where no tier was ever used.
DROP TRIGGER IF EXISTS `recordings_discard_tiers`;
--> statement-breakpoint
CREATE TRIGGER recordings_discard_tiers AFTER DELETE ON recordings
WHEN OLD.tiered OR OLD.tier IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO discards (tier, key, queued_at, next_try_at)
    SELECT tier, key, (julianday('now') - 2440587.5) * 86400.0, 0 FROM copies WHERE recording_id = OLD.id
    UNION ALL SELECT tier, key, (julianday('now') - 2440587.5) * 86400.0, 0 FROM transfers WHERE recording_id = OLD.id
    UNION ALL SELECT OLD.tier, OLD.path, (julianday('now') - 2440587.5) * 86400.0, 0 WHERE OLD.tier IS NOT NULL;
  DELETE FROM copies WHERE recording_id = OLD.id;
  DELETE FROM transfers WHERE recording_id = OLD.id;
  INSERT INTO archive_dirty (kind, camera, period, since)
    VALUES ('hour', OLD.camera, CAST(OLD.start_time / 3600 AS INTEGER) * 3600, (julianday('now') - 2440587.5) * 86400.0)
    ON CONFLICT (kind, camera, period) DO UPDATE SET changes = changes + 1;
END;
