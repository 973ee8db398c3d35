CREATE TABLE `sessions` (
	`id_hash` text PRIMARY KEY NOT NULL,
	`created_at` real NOT NULL,
	`expires_at` real NOT NULL,
	`client` text NOT NULL,
	`agent` text NOT NULL
);
