DROP INDEX `transfers_tier_next_try`;--> statement-breakpoint
ALTER TABLE `transfers` ADD `priority` integer DEFAULT 3 NOT NULL;--> statement-breakpoint
CREATE INDEX `transfers_tier_priority_next_try` ON `transfers` (`tier`,`priority`,`next_try_at`);