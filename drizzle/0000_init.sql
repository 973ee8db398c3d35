CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`camera` text NOT NULL,
	`label` text NOT NULL,
	`start_time` real NOT NULL,
	`end_time` real,
	`has_clip` integer DEFAULT true NOT NULL,
	`retain_indefinitely` integer DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE INDEX `events_camera_start` ON `events` (`camera`,`start_time`);--> statement-breakpoint
CREATE INDEX `events_camera_end` ON `events` (`camera`,`end_time`);--> statement-breakpoint
CREATE TABLE `recordings` (
	`id` text PRIMARY KEY NOT NULL,
	`camera` text NOT NULL,
	`path` text NOT NULL,
	`start_time` real NOT NULL,
	`end_time` real NOT NULL,
	`duration` real NOT NULL,
	`motion` integer NOT NULL,
	`objects` integer NOT NULL,
	`segment_size` integer NOT NULL,
	`unjudged` integer DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `recordings_path_unique` ON `recordings` (`path`);--> statement-breakpoint
CREATE INDEX `recordings_camera_start` ON `recordings` (`camera`,`start_time`);--> statement-breakpoint
CREATE INDEX `recordings_camera_end` ON `recordings` (`camera`,`end_time`);--> statement-breakpoint
CREATE INDEX `recordings_start` ON `recordings` (`start_time`);