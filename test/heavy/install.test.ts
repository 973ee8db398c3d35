import { beforeAll, describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, tempDir } from "../helpers.ts";

/**
 * install.sh into a folder (--root): files, owners and modes; upgrade keeps an edited
 * configuration and the token; uninstall keeps data; --purge removes it. The unit passes
 * `systemd-analyze verify` and rates at most 2.5 in `systemd-analyze security`.
 */
const BINARY = join(ROOT, "dist/camkeep-linux-x64");
const asRoot = process.getuid?.() === 0;

function install(root: string, ...args: string[]) {
  const p = Bun.spawnSync(
    ["sh", join(ROOT, "install.sh"), "--root", root, "--binary", BINARY, "--no-start", ...args],
    { stderr: "pipe" },
  );
  if (p.exitCode !== 0) throw new Error(`install.sh ${args.join(" ")} failed: ${p.stderr}`);
  return p.stdout.toString();
}
const mode = (p: string) => statSync(p).mode & 0o777;
const owner = (p: string) => `${statSync(p).uid}:${statSync(p).gid}`;

beforeAll(async () => {
  if (!existsSync(BINARY)) {
    // Asynchronously: a synchronous build would hold the event loop past an earlier keeper's watchdog.
    const b = Bun.spawn(["sh", join(ROOT, "scripts/build.sh"), "linux-x64"], {
      stdout: "ignore",
      stderr: "inherit",
      env: { ...process.env, CAMKEEP_XZ: "0" },
    });
    if ((await b.exited) !== 0) throw new Error("build failed");
  }
}, 300_000);

describe.skipIf(!asRoot)("install.sh --root", () => {
  test("installs files with the right owners and modes, and a unit whose paths exist", () => {
    const root = tempDir();
    const out = install(root);
    expect(out).toContain("health:  curl http://127.0.0.1:5050/healthz");
    const user = readFileSync(join(root, "etc/passwd"), "utf8")
      .split("\n")
      .find((l) => l.startsWith("camkeep:"))!
      .split(":");
    const ids = `${user[2]}:${user[3]}`;
    expect(user[5]).toBe("/var/lib/camkeep");
    expect(user[6]).toBe("/usr/sbin/nologin");

    const bin = join(root, "usr/local/bin/camkeep");
    expect(mode(bin)).toBe(0o755);
    expect(Bun.spawnSync([bin, "version"]).stdout.toString()).toStartWith("camkeep ");
    expect([mode(join(root, "var/lib/camkeep")), owner(join(root, "var/lib/camkeep"))]).toEqual([0o750, ids]);
    expect([mode(join(root, "var/cache/camkeep")), owner(join(root, "var/cache/camkeep"))]).toEqual([
      0o750,
      ids,
    ]);
    const token = join(root, "var/lib/camkeep/api-token");
    expect([mode(token), owner(token)]).toEqual([0o600, ids]);
    expect(readFileSync(token, "utf8").trim()).toMatch(/^[A-Za-z0-9]{32,}$/);
    const config = join(root, "etc/camkeep/config.yml");
    expect([mode(config), owner(config)]).toEqual([0o640, `0:${user[3]}`]);
    expect(Bun.spawnSync([bin, "check-config", config]).exitCode).toBe(0);

    // The unit points at what was installed.
    const unit = readFileSync(join(root, "etc/systemd/system/camkeep.service"), "utf8");
    const exec = /^ExecStart=(\S+) run --config (\S+)$/m.exec(unit)!;
    expect(existsSync(join(root, exec[1]!))).toBe(true);
    expect(existsSync(join(root, exec[2]!))).toBe(true);
    for (const dir of /^ReadWritePaths=(.+)$/m.exec(unit)![1]!.split(" "))
      expect(existsSync(join(root, dir))).toBe(true);
    expect(/^User=(\S+)$/m.exec(unit)![1]).toBe("camkeep");
    // The watchdog ends a stalled keeper with status 70: the unit must start it again.
    expect(/^Restart=(\S+)$/m.exec(unit)![1]).toBe("on-failure");
    const cfg = readFileSync(config, "utf8");
    for (const key of ["data_dir", "cache_dir"])
      expect(unit).toContain(/^\S+: (\S+)/m.exec(cfg.split("\n").find((l) => l.startsWith(`${key}:`))!)![1]!);
    expect(readFileSync(join(root, "etc/systemd/system/var-cache-camkeep.mount"), "utf8")).toContain(
      `Options=size=256M,mode=0750,uid=${user[2]},gid=${user[3]}`,
    );
  });

  test("systemd-analyze: verify is clean and security rates the unit at most 2.5", () => {
    const root = tempDir();
    install(root, "--cache-size", "512M");
    // verify checks that ExecStart exists on this machine: point it at the installed binary.
    const check = tempDir("camkeep-units-");
    const unit = readFileSync(join(root, "etc/systemd/system/camkeep.service"), "utf8").replace(
      "/usr/local/bin/camkeep",
      join(root, "usr/local/bin/camkeep"),
    );
    writeFileSync(join(check, "camkeep.service"), unit);
    writeFileSync(
      join(check, "var-cache-camkeep.mount"),
      readFileSync(join(root, "etc/systemd/system/var-cache-camkeep.mount")),
    );
    const verify = Bun.spawnSync(
      ["systemd-analyze", "verify", join(check, "camkeep.service"), join(check, "var-cache-camkeep.mount")],
      { stderr: "pipe" },
    );
    expect(verify.stdout.toString() + verify.stderr.toString()).toBe(""); // not even a warning
    expect(verify.exitCode).toBe(0);
    const security = Bun.spawnSync([
      "systemd-analyze",
      "security",
      "--offline=yes",
      join(root, "etc/systemd/system/camkeep.service"),
    ]);
    const score = Number(
      /Overall exposure level for camkeep\.service: ([\d.]+)/.exec(security.stdout.toString())![1],
    );
    expect(score).toBeLessThanOrEqual(2.5);
  });

  test("re-running upgrades in place: the edited config and the token stay", () => {
    const root = tempDir();
    install(root);
    const config = join(root, "etc/camkeep/config.yml");
    appendFileSync(config, "# my edit\n");
    const token = readFileSync(join(root, "var/lib/camkeep/api-token"), "utf8");
    const out = install(root);
    expect(out).toContain("kept your configuration");
    expect(readFileSync(config, "utf8")).toEndWith("# my edit\n");
    expect(readFileSync(join(root, "var/lib/camkeep/api-token"), "utf8")).toBe(token);
    expect(readFileSync(join(root, "etc/passwd"), "utf8").match(/^camkeep:/gm)).toHaveLength(1);
  });

  test("--uninstall keeps data and config; --purge removes them and the user", () => {
    const root = tempDir();
    install(root);
    writeFileSync(join(root, "var/lib/camkeep/camkeep.db"), "precious");
    install(root, "--uninstall");
    expect(existsSync(join(root, "usr/local/bin/camkeep"))).toBe(false);
    expect(existsSync(join(root, "etc/systemd/system/camkeep.service"))).toBe(false);
    expect(readFileSync(join(root, "var/lib/camkeep/camkeep.db"), "utf8")).toBe("precious");
    expect(existsSync(join(root, "etc/camkeep/config.yml"))).toBe(true);
    install(root, "--uninstall", "--purge");
    expect(existsSync(join(root, "var/lib/camkeep"))).toBe(false);
    expect(existsSync(join(root, "etc/camkeep"))).toBe(false);
    expect(readFileSync(join(root, "etc/passwd"), "utf8")).not.toContain("camkeep:");
  });

  test("the .xz release form installs once it matches the SHA256SUMS beside it; a mismatch is refused", () => {
    const release = tempDir();
    const xz = join(release, "camkeep-linux-x64.xz");
    const packed = Bun.spawnSync(["xz", "-0", "-T0", "-c", BINARY], { stdout: Bun.file(xz) });
    expect(packed.exitCode).toBe(0);
    const sums = Bun.spawnSync(["sha256sum", "camkeep-linux-x64.xz"], { cwd: release }).stdout.toString();
    writeFileSync(join(release, "SHA256SUMS"), sums);
    const run = (root: string) =>
      Bun.spawnSync(["sh", join(ROOT, "install.sh"), "--root", root, "--binary", xz, "--no-start"], {
        stderr: "pipe",
      });
    const root = tempDir();
    const ok = run(root);
    expect(ok.exitCode).toBe(0);
    expect(ok.stderr.toString()).toContain("camkeep: checked camkeep-linux-x64.xz against");
    const hash = (p: string) => new Bun.CryptoHasher("sha256").update(readFileSync(p)).digest("hex");
    expect(hash(join(root, "usr/local/bin/camkeep"))).toBe(hash(BINARY)); // unpacked, as built
    expect(mode(join(root, "usr/local/bin/camkeep"))).toBe(0o755);
    // One byte changed: refused, nothing installed.
    appendFileSync(xz, "x");
    const bad = run(tempDir());
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr.toString()).toContain("camkeep-linux-x64.xz does not match its checksum");
    // Without SHA256SUMS beside it: installed, saying it was not checked (a broken .xz is still refused).
    Bun.spawnSync(["rm", join(release, "SHA256SUMS")]);
    const unchecked = run(tempDir());
    expect(unchecked.stderr.toString()).toContain("its checksum is not checked");
    expect(unchecked.stderr.toString()).toContain("is not a valid .xz file");
    expect(unchecked.exitCode).toBe(1);
  }, 120_000);

  test("bad options are refused clearly", () => {
    const p = Bun.spawnSync(["sh", join(ROOT, "install.sh"), "--root", tempDir(), "--cache-size", "lots"], {
      stderr: "pipe",
    });
    expect(p.exitCode).toBe(1);
    expect(p.stderr.toString()).toContain('--cache-size: "lots" is not a size');
  });
});
