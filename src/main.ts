#!/usr/bin/env bun
import { type App, startApp } from "./app.ts";
import { formatExpiry, runExpiry } from "./cleanup/expire.ts";
import { enforceQuotas, formatQuotas } from "./cleanup/quotas.ts";
import { openDb } from "./db/open.ts";
import { newestRecordingStart, recordingCount } from "./db/recordings.ts";
import { ClockWatch } from "./time/clock.ts";
import { ffmpegEngine } from "./media/ffmpeg.ts";
import { StorageGate } from "./storage/gate.ts";
import { ConfigError, defaultConfig, loadConfigFile, type Config } from "./config/load.ts";
import { logger } from "./log/log.ts";
import { BUILD, VERSION } from "./version.ts";
import { listSessions, revokeAllSessions, revokeSession } from "./db/sessions.ts";
import { redact } from "./log/redact.ts";
import { probeArgs, probeCamera } from "./onvif/probe.ts";
import { OnvifError } from "./onvif/soap.ts";
import { readSecretFile } from "./config/secret-file.ts";
import { verifyExport } from "./evidence/verify.ts";
import { checkRecorded } from "./evidence/recorded.ts";
import { FootageLocator } from "./tiers/footage.ts";
import { openTiers } from "./tiers/open.ts";
import { PlaybackMedia } from "./playback/media.ts";
import { checkArchive, checkSeals } from "./evidence/check.ts";
import { verifyAudit } from "./db/audit.ts";
import { identitySource } from "./evidence/identity.ts";
import { knownKeys, restoredCertificates } from "./evidence/certificates.ts";
import { camerasWithFootage } from "./db/seals.ts";
import { existsSync } from "node:fs";
import { KeeperLock } from "./storage/keeper-lock.ts";
import { S3Tier } from "./tiers/s3.ts";
import { RestoreRefused, restoreArchive } from "./archive/restore.ts";
import { restoreLines } from "./archive/report.ts";
import { ArchiveTotals, knownCameras } from "./db/totals.ts";
import { sharesCommand, UsageError, usersCommand } from "./people/commands.ts";

// The command line: run, expire, check-config, sessions, users, shares, onvif, verify, restore, audit, version.

const USAGE = `camkeep ${VERSION} — keeps camera recordings

Usage:
  camkeep run [--config FILE]     run the keeper (CAMKEEP_CONFIG names the file too;
                                  with neither, built-in defaults under ./data)
  camkeep expire [--config FILE] [--dry-run]
                                  run one expiry pass and the quotas now; --dry-run prints
                                  what would be deleted, and by which rule, without deleting
  camkeep check-config FILE       validate FILE and print the effective configuration
  camkeep sessions [--config FILE] [revoke ID|revoke-all]
                                  list the page's login sessions, or end one or all
  camkeep users [--config FILE] [list | add NAME [--role admin|viewer] [--cameras a,b] |
                 passwd NAME | set NAME [--role R] [--cameras a,b] | remove NAME]
                                  the people who log in to the page (a password is read
                                  from the terminal or the first line of standard input);
                                  a new password or removal ends the user's sessions
  camkeep shares [--config FILE] [list | revoke ID]
                                  the share links made on the page or API, and revoking one
  camkeep onvif --host HOST [--port 80] [--user U --password-file F] [--watch SECONDS]
                                  ask an ONVIF camera what camkeep needs to know of it:
                                  maker, clock, profiles and stream addresses, event
                                  topics, and (--watch) the events it sends meanwhile
  camkeep verify FILE [--seals [--config FILE]]
                                  check a signed export offline: its signature, who signed
                                  it (the certificate's SHA-256) and what it says of itself;
                                  --seals (on the box): that its frames are those of the
                                  segments sealed when they were recorded
  camkeep verify --seals [--config FILE]
                                  check every camera's chain of sealed hours, and that each
                                  segment sealed is stored as sealed or was deleted by a rule
  camkeep verify --archive [--config FILE]
                                  hash every stored file again against the index (read-only;
                                  the keeper's weekly scrub also repairs from tier copies)
  camkeep restore --from TIER [--prefix P] [--force] [--config FILE]
                                  rebuild the index on a new box from the archive a bucket
                                  tier holds (docs/archive.md): recordings (played from the
                                  bucket), events, cases, seals — then check the seals and say
                                  what could not be verified; --prefix reads another site's
                                  prefix; --force adds to a database that holds footage
  camkeep audit verify [--config FILE]
                                  check the audit log's chain: no entry changed, removed or
                                  put in afterwards
  camkeep version                 print the version
`;

const log = logger("camkeep");

function loadFor(args: string[]): Config {
  const at = args.indexOf("--config");
  if (at >= 0 && !args[at + 1]) throw new ConfigError("command line", ["--config needs a file name"]);
  const file = at >= 0 ? args[at + 1] : process.env.CAMKEEP_CONFIG;
  return file ? loadConfigFile(file) : defaultConfig();
}

function missingTools(): string[] {
  return ["ffmpeg", "ffprobe"].filter((tool) => !Bun.which(tool));
}

async function run(args: string[]): Promise<number> {
  const config = loadFor(args);
  const missing = missingTools();
  if (missing.length) {
    log.error(`${missing.join(" and ")} not found on PATH: install them (Debian: apt-get install -y ffmpeg)`);
    return 1;
  }
  // Listen before starting: a stop asked for during start-up (systemd stopping a unit that is
  // still reconciling) is honoured once start-up is done, with the cache stored as usual.
  const signalled = new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      log.info(`${signal}: storing what the cache holds, then stopping`);
      resolve();
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
  let app: App;
  try {
    app = await startApp(config);
  } catch (e) {
    log.error(`cannot start: ${(e as Error).message}`);
    log.debug((e as Error).stack ?? "");
    return 1;
  }
  await signalled;
  await app.stop();
  return 0;
}

/** `camkeep expire`: one expiry pass, beside a running keeper or not (SQLite serializes writers). */
async function expireOnce(args: string[]): Promise<number> {
  const config = loadFor(args);
  const dryRun = args.includes("--dry-run");
  const db = openDb(config.database);
  try {
    const problem = new StorageGate(db, ffmpegEngine(), config.recordingsDir).problem();
    if (problem && recordingCount(db) > 0) {
      log.error(`not expiring: ${problem}`);
      return 1;
    }
    const clock = new ClockWatch().check(
      Date.now() / 1000,
      performance.now() / 1000,
      newestRecordingStart(db),
    );
    if (!clock.sane) {
      log.error(`not expiring: ${clock.reason}`);
      return 1;
    }
    const report = await runExpiry({ config, db, now: Date.now() / 1000, dryRun });
    process.stdout.write(formatExpiry(report));
    // Then the quotas, as the running keeper applies them (after expiry: what it freed counts).
    process.stdout.write(formatQuotas(await enforceQuotas(config, db, { dryRun }), dryRun));
    return 0;
  } finally {
    db.$client.close(true);
  }
}

/** The configuration as check-config prints it: the token and passwords in inputs hidden. */
function withoutSecrets(c: Omit<Config, "source">) {
  return {
    ...c,
    api: { ...c.api, token: c.api.token === undefined ? undefined : "***" },
    mqtt: c.mqtt && { ...c.mqtt, password: c.mqtt.password === undefined ? undefined : "***" },
    storage: {
      ...c.storage,
      tiers: c.storage.tiers.map((t) =>
        t.target.kind === "s3" && t.target.secretAccessKey !== undefined
          ? { ...t, target: { ...t.target, secretAccessKey: "***" } }
          : t,
      ),
    },
    cameras: Object.fromEntries(
      Object.entries(c.cameras).map(([name, cam]) => [
        name,
        {
          ...cam,
          recorder: cam.recorder && { ...cam.recorder, input: redact(cam.recorder.input) },
          onvif: cam.onvif && {
            ...cam.onvif,
            password: cam.onvif.password === undefined ? undefined : "***",
          },
        },
      ]),
    ),
  };
}

/** `camkeep onvif`: a camera's facts, from the camera (docs/onvif.md). */
async function onvif(args: string[]): Promise<number> {
  try {
    const { target, watch } = probeArgs(args, (path) => readSecretFile(path, log));
    await probeCamera(target, watch, (line) => process.stdout.write(`${line}\n`));
    return 0;
  } catch (e) {
    if (!(e instanceof OnvifError)) throw e;
    process.stderr.write(`camkeep onvif: ${e.message}\n`);
    return 1;
  }
}

/** `camkeep verify FILE`: a signed export's signature checked offline (docs/evidence.md). */
async function verify(args: string[]): Promise<number> {
  if (args.includes("--seals") && (!args[0] || args[0].startsWith("--"))) return verifySeals(args);
  if (args.includes("--archive")) return verifyArchive(args);
  if (!args[0]) throw new ConfigError("command line", ["verify needs a file name"]);
  let check: Awaited<ReturnType<typeof verifyExport>>;
  try {
    check = await verifyExport(args[0]);
  } catch (e) {
    process.stderr.write(`camkeep verify: ${args[0]}: ${(e as Error).message}\n`);
    return 1;
  }
  const out = [
    `${args[0]}: ${check.valid ? "signature valid: unaltered since it was signed" : "SIGNATURE INVALID: the file was altered after it was signed"}`,
    `signed by:   ${check.subject}`,
    `certificate: SHA-256 ${check.fingerprint} (compare with the box's: GET /api/evidence/certificate)`,
    `span:        ${new Date(check.start * 1000).toISOString()} for ${check.duration.toFixed(3)} s`,
    `says:        ${check.information}`,
  ];
  if (check.valid && args.includes("--seals")) {
    const config = loadFor(args);
    const db = openDb(config.database);
    try {
      const footage = new FootageLocator(config.recordingsDir, openTiers(config.storage.tiers, db));
      const recorded = await checkRecorded(
        { db, footage, playback: new PlaybackMedia(footage) },
        args[0],
        check,
      );
      out.push(...recorded.lines.map((l) => `seals:       ${l}`));
      check.valid = recorded.holds;
    } finally {
      db.$client.close(true);
    }
  }
  (check.valid ? process.stdout : process.stderr).write(`${out.join("\n")}\n`);
  return check.valid ? 0 : 1;
}

/** `camkeep verify --seals`: the chains of sealed hours and what they list (docs/evidence.md). */
async function verifySeals(args: string[]): Promise<number> {
  const config = loadFor(args);
  const db = openDb(config.database);
  const hasKey = existsSync(config.evidence.keyFile) || config.evidence.own;
  if (!hasKey && !restoredCertificates(db).length) {
    db.$client.close(true);
    process.stdout.write("this box has no signing key yet: nothing has been sealed\n");
    return 0;
  }
  const box = hasKey ? await identitySource(config)() : undefined;
  try {
    const reports = checkSeals(
      db,
      [...new Set([...Object.keys(config.cameras), ...camerasWithFootage(db)])],
      knownKeys(db, box),
    );
    let bad = 0;
    for (const r of reports) {
      const deleted = Object.entries(r.deleted).map(([rule, n]) => `${n} deleted by ${rule}`);
      process.stdout.write(
        `${r.camera}: ${r.seals} seals, ${r.listed} segments sealed: ${[`${r.stored} stored as sealed`, ...deleted, `${r.altered} altered`, `${r.missing} missing`].join(", ")}\n`,
      );
      for (const line of [...r.problems, ...r.examples]) process.stdout.write(`  ${line}\n`);
      bad += r.problems.length + r.altered + r.missing;
    }
    return bad ? 1 : 0;
  } finally {
    db.$client.close(true);
  }
}

/** `camkeep verify --archive`: every stored file hashed again, nothing changed (docs/evidence.md). */
async function verifyArchive(args: string[]): Promise<number> {
  const db = openDb(loadFor(args).database);
  try {
    const r = await checkArchive(db);
    process.stdout.write(
      `${r.checked} stored segments (${(r.bytes / 1e6).toFixed(0)} MB) hashed again: ${r.damaged.length ? `${r.damaged.length} DAMAGED` : "all match the hashes taken when they were stored"}\n`,
    );
    for (const d of r.damaged) process.stdout.write(`  ${d}\n`);
    return r.damaged.length ? 1 : 0;
  } finally {
    db.$client.close(true);
  }
}

/** `camkeep restore --from TIER`: the index rebuilt from a bucket's archive (docs/archive.md#restore). */
async function restore(args: string[]): Promise<number> {
  const config = loadFor(args);
  const option = (name: string) => {
    const at = args.indexOf(name);
    if (at < 0) return undefined;
    if (!args[at + 1] || args[at + 1]!.startsWith("--"))
      throw new ConfigError("command line", [`${name} needs a value`]);
    return args[at + 1];
  };
  const name = option("--from");
  const prefix = option("--prefix");
  if (!name)
    throw new ConfigError("command line", ["restore needs --from TIER (a bucket tier of the configuration)"]);
  const tier = config.storage.tiers.find((t) => t.name === name);
  if (tier?.target.kind !== "s3")
    throw new ConfigError("command line", [
      `--from ${name}: ${tier ? "a folder tier; restore reads a bucket (s3) tier" : `no tier "${name}" in ${config.source}`}`,
    ]);
  // No keeper may run on this archive meanwhile (it would write beside the restore).
  const lock = KeeperLock.acquire(config);
  const db = openDb(config.database);
  try {
    const target = prefix === undefined ? tier.target : { ...tier.target, prefix };
    const store = openTiers([{ ...tier, target }], db).get(name)!;
    if (!(store instanceof S3Tier)) throw new Error(store.problem());
    const report = await restoreArchive(db, store, {
      force: args.includes("--force"),
      now: Date.now() / 1000,
      progress: (line) => process.stdout.write(`${line}\n`),
    });
    const lines = restoreLines(report);
    process.stdout.write(`${lines.join("\n")}\n`);
    if (prefix !== undefined && prefix !== tier.target.prefix)
      process.stdout.write(
        `the restored footage is read through tier ${name}: set its prefix to "${prefix}" in ${config.source} before starting\n`,
      );
    return lines.some((l) => l.startsWith("  ")) ? 1 : 0;
  } catch (e) {
    if (!(e instanceof RestoreRefused)) throw e;
    process.stderr.write(`camkeep restore: ${e.message}\n`);
    return 1;
  } finally {
    db.$client.close(true);
    lock.release();
  }
}

/** `camkeep audit verify`: the audit log's chain checked (docs/evidence.md#the-audit-log). */
function auditVerify(args: string[]): number {
  if (args[0] !== "verify") throw new ConfigError("command line", ["audit takes: verify [--config FILE]"]);
  const db = openDb(loadFor(args).database);
  try {
    const { entries, problems } = verifyAudit(db);
    process.stdout.write(
      `${entries} audit entries: ${problems.length ? `${problems.length} PROBLEMS` : "the chain holds (none changed, removed or put in)"}\n`,
    );
    for (const p of problems.slice(0, 50)) process.stdout.write(`  ${p}\n`);
    return problems.length ? 1 : 0;
  } finally {
    db.$client.close(true);
  }
}

/** `camkeep sessions`: list the page's sessions, or revoke one (by the id the list shows) or all. */
function sessions(args: string[]): number {
  const config = loadFor(args);
  const db = openDb(config.database);
  try {
    const rest = args.filter((a, i) => a !== "--config" && args[i - 1] !== "--config");
    if (rest[0] === "revoke-all") {
      process.stdout.write(`revoked ${revokeAllSessions(db)} sessions\n`);
      return 0;
    }
    if (rest[0] === "revoke") {
      if (!rest[1])
        throw new ConfigError("command line", ["sessions revoke needs a session id (see camkeep sessions)"]);
      const ok = revokeSession(db, rest[1]);
      process.stdout.write(ok ? `revoked ${rest[1]}\n` : `no session ${rest[1]}\n`);
      return ok ? 0 : 1;
    }
    const list = listSessions(db, Date.now() / 1000);
    if (!list.length) process.stdout.write("no sessions\n");
    for (const s of list) {
      process.stdout.write(
        `${s.id}  ${s.user ?? "(the token)"}  from ${s.client}  since ${new Date(s.created_at * 1000).toISOString()}  until ${new Date(s.expires_at * 1000).toISOString()}  ${s.agent}\n`,
      );
    }
    return 0;
  } finally {
    db.$client.close(true);
  }
}

/** `camkeep users …` and `camkeep shares …` (docs/security.md). */
async function people(command: "users" | "shares", args: string[]): Promise<number> {
  const config = loadFor(args);
  const db = openDb(config.database);
  try {
    const rest = args.filter((a, i) => a !== "--config" && args[i - 1] !== "--config");
    if (command === "shares") return sharesCommand(db, rest);
    const cameras = knownCameras({ config, totals: new ArchiveTotals(db) });
    return await usersCommand(db, rest, cameras);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${e.message}\n`);
    return 2;
  } finally {
    db.$client.close(true);
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case "run":
        return await run(args);
      case "expire":
        return await expireOnce(args);
      case "sessions":
        return sessions(args);
      case "users":
      case "shares":
        return await people(command, args);
      case "onvif":
        return await onvif(args);
      case "verify":
        return await verify(args);
      case "audit":
        return auditVerify(args);
      case "restore":
        return await restore(args);
      case "check-config": {
        if (!args[0]) throw new ConfigError("command line", ["check-config needs a file name"]);
        const { source, ...effective } = loadConfigFile(args[0]);
        process.stdout.write(
          `# ${source} is valid; effective configuration (secrets shown as ***):\n${JSON.stringify(withoutSecrets(effective), null, 2)}\n`,
        );
        return 0;
      }
      case "version":
      case "--version":
        process.stdout.write(
          `camkeep ${VERSION} (commit ${BUILD.commit}, ${BUILD.target}, bun ${BUILD.bun})\n`,
        );
        return 0;
      case undefined:
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

process.exit(await main(process.argv.slice(2)));
