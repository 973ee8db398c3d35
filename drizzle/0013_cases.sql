CREATE TABLE `case_spans` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`case_id` text NOT NULL,
	`camera` text NOT NULL,
	`start_time` real NOT NULL,
	`end_time` real NOT NULL
);
--> statement-breakpoint
CREATE INDEX `case_spans_camera_start` ON `case_spans` (`camera`,`start_time`);--> statement-breakpoint
CREATE INDEX `case_spans_case` ON `case_spans` (`case_id`);--> statement-breakpoint
CREATE TABLE `cases` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`note` text NOT NULL,
	`created_at` real NOT NULL,
	`updated_at` real NOT NULL,
	`closed_at` real
);
