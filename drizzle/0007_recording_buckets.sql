CREATE TABLE `recording_buckets` (
	`camera` text NOT NULL,
	`bucket` integer NOT NULL,
	`segments` integer NOT NULL,
	`duration_ms` integer NOT NULL,
	`bytes` integer NOT NULL,
	`motion` integer NOT NULL,
	`objects` integer NOT NULL,
	`events` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`camera`, `bucket`)
) WITHOUT ROWID; -- clustered by (camera, bucket): a camera's buckets are read in one run of pages
--> statement-breakpoint
-- Built once from the recordings and events an older camkeep stored; kept up to date from then on.
INSERT INTO `recording_buckets` (`camera`, `bucket`, `segments`, `duration_ms`, `bytes`, `motion`, `objects`, `events`)
SELECT `camera`, `bucket`, sum(`segments`), sum(`duration_ms`), sum(`bytes`), sum(`motion`), sum(`objects`), sum(`events`) FROM (
  SELECT `camera`, CAST(`start_time` / 900 AS INTEGER) * 900 AS `bucket`, 1 AS `segments`, CAST(round(`duration` * 1000) AS INTEGER) AS `duration_ms`,
    `segment_size` AS `bytes`, `motion`, `objects`, 0 AS `events` FROM `recordings`
  UNION ALL
  SELECT `camera`, CAST(`start_time` / 900 AS INTEGER) * 900, 0, 0, 0, 0, 0, 1 FROM `events`
) GROUP BY 1, 2;
