CREATE TABLE `shares` (
	`id` text PRIMARY KEY NOT NULL,
	`camera` text NOT NULL,
	`start` real NOT NULL,
	`end` real NOT NULL,
	`kind` text NOT NULL,
	`note` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` real NOT NULL,
	`expires_at` real NOT NULL,
	`max_uses` integer,
	`uses` integer DEFAULT 0 NOT NULL,
	`revoked_at` real
);
--> statement-breakpoint
CREATE TABLE `users` (
	`name` text PRIMARY KEY NOT NULL,
	`role` text NOT NULL,
	`cameras` text NOT NULL,
	`password_hash` text NOT NULL,
	`created_at` real NOT NULL,
	`changed_at` real NOT NULL
);
--> statement-breakpoint
ALTER TABLE `sessions` ADD `user` text;