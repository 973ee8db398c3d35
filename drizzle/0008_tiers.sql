CREATE TABLE `copies` (
	`recording_id` text NOT NULL,
	`tier` text NOT NULL,
	`key` text NOT NULL,
	`bytes` integer NOT NULL,
	`md5` text,
	`verified_at` real NOT NULL,
	PRIMARY KEY(`recording_id`, `tier`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `copies_tier_key` ON `copies` (`tier`,`key`);--> statement-breakpoint
CREATE TABLE `discards` (
	`tier` text NOT NULL,
	`key` text NOT NULL,
	`queued_at` real NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_try_at` real NOT NULL,
	PRIMARY KEY(`tier`, `key`)
);
--> statement-breakpoint
CREATE INDEX `discards_tier_next_try` ON `discards` (`tier`,`next_try_at`);--> statement-breakpoint
CREATE TABLE `transfers` (
	`recording_id` text NOT NULL,
	`tier` text NOT NULL,
	`key` text NOT NULL,
	`kind` text NOT NULL,
	`queued_at` real NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_try_at` real NOT NULL,
	`last_error` text,
	PRIMARY KEY(`recording_id`, `tier`)
);
--> statement-breakpoint
CREATE INDEX `transfers_tier_next_try` ON `transfers` (`tier`,`next_try_at`);--> statement-breakpoint
CREATE INDEX `transfers_tier_queued` ON `transfers` (`tier`,`queued_at`);--> statement-breakpoint
DROP INDEX `recordings_start`;--> statement-breakpoint
ALTER TABLE `recordings` ADD `tier` text;--> statement-breakpoint
ALTER TABLE `recordings` ADD `tiered` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX `recordings_tier_start` ON `recordings` (`tier`,`start_time`);