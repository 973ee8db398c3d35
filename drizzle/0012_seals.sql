CREATE TABLE `late_segments` (
	`recording_id` text PRIMARY KEY NOT NULL
);
--> statement-breakpoint
CREATE TABLE `rule_deletions` (
	`camera` text NOT NULL,
	`first_start` real NOT NULL,
	`last_start` real NOT NULL,
	`segments` integer NOT NULL,
	`rule` text NOT NULL,
	`at` real NOT NULL
);
--> statement-breakpoint
CREATE INDEX `rule_deletions_camera_start` ON `rule_deletions` (`camera`,`first_start`);--> statement-breakpoint
CREATE TABLE `seal_heads` (
	`camera` text PRIMARY KEY NOT NULL,
	`sealed_until` integer NOT NULL,
	`last_hash` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `seals` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`camera` text NOT NULL,
	`hour` integer NOT NULL,
	`kind` text NOT NULL,
	`body` text NOT NULL,
	`hash` text NOT NULL,
	`signature` blob NOT NULL
);
--> statement-breakpoint
CREATE INDEX `seals_camera_hour` ON `seals` (`camera`,`hour`);--> statement-breakpoint
-- A segment stored into an hour its camera has already sealed waits for an amendment.
CREATE TRIGGER `recordings_late_into_sealed_hour` AFTER INSERT ON `recordings`
WHEN NEW.`start_time` < (SELECT `sealed_until` FROM `seal_heads` WHERE `camera` = NEW.`camera`)
BEGIN
  INSERT OR IGNORE INTO `late_segments` (`recording_id`) VALUES (NEW.`id`);
END;
