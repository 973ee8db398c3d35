/**
 * Quarter hours: the granularity of the rollups the summary and the page read. Every real
 * time zone's offset is a whole number of them, so local hours and days are exact sums.
 */
export const BUCKET_SECONDS = 900;

/** The quarter hour (its start, epoch seconds) that an instant falls in. */
export const bucketOf = (t: number) => Math.floor(t / BUCKET_SECONDS) * BUCKET_SECONDS;
