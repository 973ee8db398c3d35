CREATE TABLE `signed_exports` (
	`id` text PRIMARY KEY NOT NULL,
	`exported_at` real NOT NULL,
	`signature` blob
);
--> statement-breakpoint
ALTER TABLE `recordings` ADD `sha256` text;--> statement-breakpoint
CREATE INDEX `recordings_unhashed` ON `recordings` (`start_time`) WHERE "recordings"."sha256" IS NULL;