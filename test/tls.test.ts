import { describe, expect, test } from "bun:test";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { configIn, keepers, runTool, tempDir } from "./helpers.ts";

/**
 * HTTPS (docs/security.md#https): a self-signed certificate made at first start, trusted by curl
 * given it (and refused without), the page a secure context in Chromium; the operator's own pair,
 * and a certificate not for its key refused at start with both files named.
 */
const keeper = keepers();

describe("HTTPS", () => {
  test("self-signed: made once, its fingerprint in status; curl trusts it given the certificate, not without; the page is a secure context", async () => {
    const dir = tempDir();
    const app = await keeper.start(
      configIn(dir, "api: { listen: 127.0.0.1:0, tls: self-signed }\ncameras: {}\n"),
    );
    expect(app.url).toStartWith("https://");
    const cert = join(dir, "tls/cert.pem");
    expect(statSync(join(dir, "tls/key.pem")).mode & 0o777).toBe(0o600);
    const trusted = await runTool(["curl", "-sS", "--cacert", cert, `${app.url}/healthz`]);
    expect(trusted.out).toContain('"status"');
    const untrusted = await runTool(["curl", "-sS", `${app.url}/healthz`]);
    expect(untrusted.code).toBe(60); // the peer's certificate cannot be verified
    const status = await runTool([
      ...["curl", "-sS", "--cacert", cert, "-H", `authorization: Bearer ${app.token}`],
      `${app.url}/api/status`,
    ]);
    const fingerprint = (
      await runTool(["openssl", "x509", "-in", cert, "-noout", "-fingerprint", "-sha256"])
    ).out
      .trim()
      .split("=")[1];
    expect(JSON.parse(status.out).https).toEqual({ fingerprint, self_signed: true });
    // Plain HTTP on the HTTPS port is no answer.
    expect((await runTool(["curl", "-sS", `${app.url.replace("https", "http")}/healthz`])).code).not.toBe(0);
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu"],
    });
    try {
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      await page.goto(`${app.url}/#token=${encodeURIComponent(app.token)}`);
      await page.waitForSelector("main h2");
      expect(await page.evaluate(() => window.isSecureContext)).toBe(true);
    } finally {
      await browser.close();
    }
    // Made once: the next start keeps it.
    const before = readFileSync(cert, "utf8");
    await keeper.stop(app);
    const again = await keeper.start(
      configIn(dir, "api: { listen: 127.0.0.1:0, tls: self-signed }\ncameras: {}\n"),
    );
    expect(readFileSync(cert, "utf8")).toBe(before);
    await keeper.stop(again);
  }, 60_000);

  test("the operator's own pair is used; a certificate not for its key stops the start, naming both", async () => {
    const dir = tempDir();
    for (const name of ["a", "b"]) {
      const made = await runTool([
        ...[
          "openssl",
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-days",
          "2",
          "-subj",
          "/CN=127.0.0.1",
        ],
        ...[
          "-addext",
          "subjectAltName=IP:127.0.0.1",
          "-keyout",
          join(dir, `${name}.key`),
          "-out",
          join(dir, `${name}.pem`),
        ],
      ]);
      expect(made.code).toBe(0);
    }
    const yaml = (cert: string, key: string) =>
      `api: { listen: 127.0.0.1:0, tls: { cert_file: ${join(dir, cert)}, key_file: ${join(dir, key)} } }\ncameras: {}\n`;
    const app = await keeper.start(configIn(dir, yaml("a.pem", "a.key")));
    const ok = await runTool(["curl", "-sS", "--cacert", join(dir, "a.pem"), `${app.url}/healthz`]);
    expect(ok.out).toContain('"status"');
    await keeper.stop(app);
    writeFileSync(join(dir, "camkeep.yml"), yaml("a.pem", "b.key"));
    await expect(keeper.start(configIn(dir, yaml("a.pem", "b.key")))).rejects.toThrow(
      `api.tls: the certificate ${join(dir, "a.pem")} is not for the key ${join(dir, "b.key")}`,
    );
  }, 60_000);

  test("api.http_redirect: plain HTTP there is sent to HTTPS on the API's port (a name it knows only); without tls it is refused", async () => {
    const dir = tempDir();
    const app = await keeper.start(
      configIn(
        dir,
        "api: { listen: 127.0.0.1:0, tls: self-signed, http_redirect: 127.0.0.1:0 }\ncameras: {}\n",
      ),
    );
    const plain = `http://127.0.0.1:${app.server.redirectPort}`;
    const head = await runTool([
      "curl",
      "-sS",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code} %{redirect_url}",
      `${plain}/api/status?x=1`,
    ]);
    expect(head.out).toBe(`308 ${app.url}/api/status?x=1`);
    const followed = await runTool([
      "curl",
      "-sS",
      "-L",
      "--cacert",
      join(dir, "tls/cert.pem"),
      `${plain}/healthz`,
    ]);
    expect(followed.out).toContain('"status":"ok"');
    const stranger = await runTool([
      "curl",
      "-sS",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "-H",
      "host: evil.example",
      `${plain}/`,
    ]);
    expect(stranger.out).toBe("403");
    await keeper.stop(app);
    expect((await runTool(["curl", "-sS", `${plain}/`])).code).not.toBe(0); // stopped with the keeper
    expect(() => configIn(dir, "api: { listen: 127.0.0.1:0, http_redirect: 127.0.0.1:0 }\n")).toThrow(
      "api.http_redirect: redirects to HTTPS, so it needs api.tls",
    );
  }, 60_000);
});
