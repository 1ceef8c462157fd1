// Opens genre serve's page in headless Chromium, uploads an example clip, waits for the predicted
// genre, checks the bar chart, spectrogram and timeline, and saves a screenshot as an artifact.
// Env: GENRE_BIN (the genre executable), GENRE_EXAMPLE (an audio file), GENRE_ARTIFACTS (folder).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, existsSync } from "node:fs";
import path from "node:path";

let chromium;
try {
  ({ chromium } = await import("playwright-core"));
} catch {
  console.log("SKIPPED: playwright-core is not installed (npm ci --prefix tests/browser)");
  process.exit(77);
}
const browserPath = process.env.CHROMIUM || "/usr/bin/chromium";
if (!existsSync(browserPath)) {
  console.log(`SKIPPED: no Chromium at ${browserPath}`);
  process.exit(77);
}

function startServer() {
  return new Promise((resolve, reject) => {
    const server = spawn(process.env.GENRE_BIN, ["serve", "--host", "127.0.0.1", "--port", "0"], { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    const timer = setTimeout(() => reject(new Error("server did not start: " + log)), 20000);
    server.stderr.on("data", (d) => {
      log += d;
      const m = log.match(/listening on (http:\/\/[\d.]+:\d+\/)/);
      if (m) { clearTimeout(timer); resolve({ server, url: m[1] }); }
    });
    server.on("exit", (code) => reject(new Error(`server exited with ${code}: ${log}`)));
  });
}

test("upload a clip and see its genre", { timeout: 120000 }, async () => {
  const { server, url } = await startServer();
  const browser = await chromium.launch({
    executablePath: browserPath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });  // a phone-sized screen
    const external = [];
    page.on("request", (r) => { if (!r.url().startsWith(url) && !r.url().startsWith("data:")) external.push(r.url()); });
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById("model-info").textContent.includes("Model:"));
    await page.setInputFiles("#file", process.env.GENRE_EXAMPLE);
    const genre = page.getByTestId("genre");
    await genre.waitFor({ state: "visible", timeout: 60000 });
    const label = (await genre.textContent()).trim();
    const labels = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"];
    assert.ok(labels.includes(label), `unexpected genre '${label}'`);
    assert.equal(await page.locator(".bar").count(), 3);
    assert.ok((await page.locator("#spectrogram").getAttribute("src")).startsWith("data:image/png;base64,"));
    assert.ok(await page.locator("#timeline div").count() >= 1);
    // The bundled tagger's tags for the same file, in their own card.
    await page.locator("#tags span").first().waitFor({ state: "visible", timeout: 60000 });
    assert.equal(await page.locator("#tags span").count(), 8);
    assert.deepEqual(external, [], "the page must not load anything from elsewhere");
    const dir = process.env.GENRE_ARTIFACTS || ".";
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, "ui-upload.png"), fullPage: true });
    console.log(`predicted '${label}'; screenshot: ${path.join(dir, "ui-upload.png")}`);

    // A file that is not audio gets a clear error on the page.
    await page.setInputFiles("#file", { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not a song") });
    await page.locator("#error").waitFor({ state: "visible" });
    assert.match(await page.locator("#error").textContent(), /is not audio/);  // 415: its content type
  } finally {
    await browser.close();
    server.kill("SIGTERM");
  }
});
