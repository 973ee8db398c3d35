CREATE TABLE `camera_totals` (
	`camera` text PRIMARY KEY NOT NULL,
	`segments` integer NOT NULL,
	`duration_ms` integer NOT NULL,
	`bytes` integer NOT NULL
) WITHOUT ROWID;
--> statement-breakpoint
-- Built once from the rollups (exact); kept up to date with them from then on.
INSERT INTO `camera_totals` (`camera`, `segments`, `duration_ms`, `bytes`)
SELECT `camera`, sum(`segments`), sum(`duration_ms`), sum(`bytes`) FROM `recording_buckets`
GROUP BY `camera` HAVING sum(`segments`) > 0;
