import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { openDb } from "../src/db/open.ts";
import { FolderTier } from "../src/tiers/folder.ts";
import { S3Tier } from "../src/tiers/s3.ts";
import { md5Hex, type TierTarget } from "../src/tiers/target.ts";
import { startS3, tempDir, type S3Server } from "./helpers.ts";

/**
 * One contract, every backend (docs/tiers.md): what the tier worker, playback and restore ask of a
 * tier's store, run against each kind there is — a folder (a NAS share) and an S3 bucket
 * (s3rver) — so that a behaviour one backend has and another lacks shows here, not in the field.
 */

let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3("contract");
});
afterAll(async () => {
  await s3?.kill();
});

const backends: [string, () => TierTarget][] = [
  [
    "folder",
    () => {
      const root = tempDir("camkeep-contract-folder-");
      mkdirSync(root, { recursive: true });
      return new FolderTier("nas", root, openDb(join(tempDir(), "camkeep.db")), () => false);
    },
  ],
  [
    "S3",
    () =>
      new S3Tier("offsite", {
        endpoint: s3.endpoint,
        bucket: "contract",
        region: "us-east-1",
        prefix: `run-${Math.random().toString(36).slice(2)}/`,
        accessKeyId: "S3RVER",
        secretAccessKey: "S3RVER",
      }),
  ],
];

const KEY = "2026-12-07/11/door/10.00.mp4";
const bytes = new Uint8Array(256 * 1024).map((_, i) => (i * 7919) % 251);
const md5 = () => md5Hex(bytes);

for (const [kind, make] of backends)
  describe(`the ${kind} tier`, () => {
    let tier: TierTarget;
    beforeAll(async () => {
      tier = make();
      expect(await tier.probe()).toBeUndefined();
    });

    test("put, then verify by content: a complete copy holds; a missing or different one is named", async () => {
      await tier.put(KEY, bytes, md5);
      expect(await tier.verify(KEY, bytes, md5)).toBeUndefined();
      const other = bytes.slice();
      other[1000] = other[1000]! ^ 1;
      expect(await tier.verify(KEY, other, () => md5Hex(other))).toEqual(expect.any(String));
      expect(await tier.verify("2026-12-07/11/door/10.10.mp4", bytes, md5)).toEqual(expect.any(String));
    });

    test("read gives the whole object; stream gives a range of it", async () => {
      expect(await tier.read(KEY)).toEqual(bytes);
      const part = await Bun.readableStreamToBytes(await tier.stream(KEY, 1000, 5000));
      expect(part).toEqual(bytes.slice(1000, 5000));
      await expect(tier.read("2026-12-07/11/door/99.99.mp4")).rejects.toThrow();
    });

    test("respond answers a Range (206) and HEAD as a file would", async () => {
      const ranged = await tier.respond(KEY, new Request("http://x/", { headers: { range: "bytes=10-19" } }));
      expect(ranged.status).toBe(206);
      expect(new Uint8Array(await ranged.arrayBuffer())).toEqual(bytes.slice(10, 20));
      const head = await tier.respond(KEY, new Request("http://x/", { method: "HEAD" }));
      expect(head.status).toBe(200);
      expect(Number(head.headers.get("content-length"))).toBe(bytes.length);
    });

    test("source names what ffmpeg can open, and it is the object", async () => {
      const source = tier.source(KEY, 60);
      const got = source.startsWith("/")
        ? await Bun.file(source).bytes()
        : new Uint8Array(await (await fetch(source)).arrayBuffer());
      expect(got).toEqual(bytes);
    });

    test("put again replaces; remove removes, and removing what is gone is no error", async () => {
      const other = bytes.map((b) => 255 - b);
      await tier.put(KEY, other, () => md5Hex(other));
      expect(await tier.read(KEY)).toEqual(other);
      await tier.remove(KEY);
      expect(await tier.verify(KEY, other, () => md5Hex(other))).toEqual(expect.any(String));
      await tier.remove(KEY);
      expect(tier.problem()).toBeUndefined();
    });
  });
