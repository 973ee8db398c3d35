DROP INDEX `recordings_camera_start`;--> statement-breakpoint
CREATE INDEX `recordings_camera_start` ON `recordings` (`camera`,`start_time`,`duration`,`motion`,`objects`);