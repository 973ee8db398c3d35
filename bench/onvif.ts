/**
 * A camera's own events (issue 25): camkeep's CPU for one camera with a live ONVIF
 * subscription and one event a minute, per camera-hour; and per 1,000 messages parsed.
 * The test camera (test/fixtures/onvif-camera.ts) runs in a process of its own, so its CPU is
 * not counted. Time is compressed for the subscription: its pulls come back after 1 s instead
 * of 60 s, each with one state change, so 60 s of it is the pulls and events of an hour; the
 * once-a-second activity frame runs for real, and its cost is counted for 3,600 seconds.
 * Target: ≤ 1 s of CPU per camera-hour.
 *   node_modules/.bin/bun bench/onvif.ts [SECONDS=60]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../src/config/load.ts";
import { openDb } from "../src/db/open.ts";
import { ActivityStore } from "../src/keeper/activity.ts";
import { setLogLevel } from "../src/log/log.ts";
import { newDetections, tick } from "../src/onvif/detections.ts";
import { readNotifications } from "../src/onvif/topics.ts";
import { parseAnswer } from "../src/onvif/soap.ts";
import { OnvifWatch } from "../src/onvif/watch.ts";

if (process.argv[2] === "camera") {
  // The camera's own process: a state change a second, alternating, for every subscription.
  const { TestCamera } = await import("../test/fixtures/onvif-camera.ts");
  const camera = new TestCamera({ user: "admin", password: "secret", dialect: "reolink", maxPullSeconds: 1 });
  let on = false;
  setInterval(() => camera.set("person", (on = !on)), 1000);
  console.log(camera.port);
  await new Promise(() => {});
}

setLogLevel("warn");
const SECONDS = Number(process.argv[2] ?? 60);
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const child = Bun.spawn([process.execPath, import.meta.path, "camera"], { stdout: "pipe" });
const reader = child.stdout.getReader();
const port = Number(new TextDecoder().decode((await reader.read()).value).trim());
const dir = mkdtempSync(join(tmpdir(), "camkeep-bench-onvif-"));
const config = parseConfig(
  `data_dir: ${dir}\ncameras:\n  cam:\n    onvif: { host: 127.0.0.1, port: ${port}, user: admin, password: secret }\n`,
  join(dir, "c.yml"),
);
const db = openDb(join(dir, "camkeep.db"));
const activity = new ActivityStore();
const drain = setInterval(() => activity.drain(), 5000); // as the keeper's passes do
const watch = new OnvifWatch(
  Object.values(config.cameras),
  { db, activity },
  {
    pullSeconds: 1,
    subscriptionSeconds: 600,
    maxBackoffSeconds: 2,
    callSeconds: 5,
  },
);
watch.start();
while (watch.status("cam")?.state !== "live") await Bun.sleep(50);
Bun.gc(true);
const c0 = cpuMs();
await Bun.sleep(SECONDS * 1000);
const used = cpuMs() - c0;
const s = watch.status("cam")!;
await watch.stop();
clearInterval(drain);
child.kill();

// The frame of each second, alone, for the 3,600 - SECONDS seconds the compressed run did not tick.
const detections = newDetections();
const store = new ActivityStore();
const t0 = cpuMs();
for (let i = 0; i < 36_000; i++) {
  store.hear("cam", [tick(detections, 1_800_000_000 + i)]);
  if (i % 5 === 0) store.drain();
  if (i % 600 === 0) store.prune("cam", 1_800_000_000 + i - 60, 1_800_000_000 + i);
}
const perTick = (cpuMs() - t0) / 36_000;
const hour = used + perTick * (3600 - SECONDS);
console.log(
  `live subscription, ${s.messages} messages in ${SECONDS} pulls' worth (${s.heard.person} person events, ${s.errors} errors): ${used.toFixed(0)} ms CPU`,
);
console.log(`a second's activity frame: ${(perTick * 1000).toFixed(1)} µs CPU`);
console.log(
  `per camera-hour (60 pulls, 60 events, 3,600 frames): ${(hour / 1000).toFixed(2)} s CPU (target ≤ 1 s)`,
);

// Parsing: a full PullMessages answer of 100 messages, read 20 times.
const message = (i: number) =>
  `<wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">tns1:RuleEngine/MyRuleDetector/PeopleDetect</wsnt:Topic><wsnt:Message><tt:Message UtcTime="2026-12-01T12:00:${String(i % 60).padStart(2, "0")}Z" PropertyOperation="Changed"><tt:Source><tt:SimpleItem Name="VideoSourceConfigurationToken" Value="0"/><tt:SimpleItem Name="Rule" Value="MyRule"/></tt:Source><tt:Data><tt:SimpleItem Name="State" Value="${i % 2 ? "true" : "false"}"/></tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>`;
const answer = `<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2"><s:Body><tev:PullMessagesResponse><tev:CurrentTime>2026-12-01T12:00:00Z</tev:CurrentTime><tev:TerminationTime>2026-12-01T12:10:00Z</tev:TerminationTime>${Array.from({ length: 100 }, (_, i) => message(i)).join("")}</tev:PullMessagesResponse></s:Body></s:Envelope>`;
for (let i = 0; i < 5; i++) readNotifications(parseAnswer(answer).PullMessagesResponse.NotificationMessage);
const p0 = cpuMs();
for (let i = 0; i < 20; i++) readNotifications(parseAnswer(answer).PullMessagesResponse.NotificationMessage);
console.log(
  `parsing: ${((cpuMs() - p0) / 2).toFixed(1)} ms CPU per 1,000 messages (${(answer.length / 1024).toFixed(0)} KB per 100)`,
);
db.$client.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
