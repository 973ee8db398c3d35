ALTER TABLE `events` ADD `severity` text;--> statement-breakpoint
ALTER TABLE `events` ADD `zones` text DEFAULT '[]' NOT NULL;