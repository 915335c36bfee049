/**
 * The playground in a real browser: web/ built by web/build.ts, served from
 * 127.0.0.1 by web/serve.ts, opened in Debian's Chromium driven by
 * playwright-core (which downloads no browser). A shipped spec is picked and
 * drawn; a spec with a shape error is typed: the diagnostic, its code frame
 * and its line show; it is fixed: the summary and the diagram show. The
 * screenshots' paths are printed.
 * Without Chromium (`apt-get install chromium`) the test is skipped with that
 * reason (the verbose reporter prints it).
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWeb, describeBuild, OUT_DIR, webSources } from "../../web/build.js";
import { serveStatic } from "../../web/serve.js";
import { analyse } from "../../web/src/analyse.js";
import { BAD_SHAPES } from "../helpers/cli.js";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
await chromiumInstalled(process.env.SEQC_CHROMIUM_PENDING);
const hasChromium = existsSync(CHROMIUM);
const NO_CHROMIUM = `no browser at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`;

/**
 * .ci/run installs Chromium alongside `npm ci` and names the file its install writes its exit code to when
 * done: wait for it (up to 5 minutes), and say if the install failed.
 */
async function chromiumInstalled(done: string | undefined): Promise<void> {
  if (done === undefined) return;
  for (let waited = 0; !existsSync(done) && waited < 300_000; waited += 500) await new Promise((r) => setTimeout(r, 500));
  const code = existsSync(done) ? readFileSync(done, "utf8").trim() : "still running after 5 minutes";
  if (code !== "0") console.log(`installing Chromium for this test: ${code === "still running after 5 minutes" ? code : `apt-get exit ${code}`} (see ${done.replace(/\.done$/, ".log")})`);
}

describe("the playground in Chromium", () => {
  let server: Server | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let url: string;
  const problems: string[] = [];

  beforeAll(async () => {
    if (!hasChromium) return;
    console.log(describeBuild(await buildWeb()));
    ({ url, server } = await serveStatic(join(OUT_DIR, "..")));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((done) => (server ? server.close(done) : done(undefined)));
  });

  it("draws a picked spec; shows a typed spec's shape error on its line, then, fixed, its summary and diagram", async (ctx) => {
    ctx.skip(!hasChromium, NO_CHROMIUM);
    await page.goto(url);
    // The first shipped spec checks and is drawn; every shipped spec is in the picker.
    await page.locator("#diagram svg").first().waitFor();
    const { std, specs } = webSources();
    expect(await page.locator("#picker option").allTextContents()).toEqual(specs.map(([name]) => name));
    // A picked spec is shown, and a diagram of each of its models.
    const picked = new Map(specs).get("gru.seq")!;
    const models = analyse(picked, { std, specs: new Map(specs) }).models.map((m) => `model ${m.name}`);
    await page.selectOption("#picker", "gru.seq");
    await expect.poll(() => page.locator("#diagram figcaption").allTextContents()).toEqual(models);
    expect(await page.locator("#spec").inputValue()).toBe(picked);

    const editor = page.locator("#spec");
    await editor.fill("");
    await editor.pressSequentially(BAD_SHAPES);
    const diagnostics = page.locator("#diagnostics");
    await expect.poll(() => diagnostics.textContent()).toContain("error[SEQ0308]: mse cannot compare [2] with [3]");
    const report = (await diagnostics.textContent())!;
    expect(report).toContain("--> playground.seq:6:8");
    expect(report).toContain("> 6 |   loss mse(p, y)");
    expect(await page.locator("#gutter .error").allTextContents()).toEqual(["6\n"]);
    expect(await page.locator("#diagram svg").count()).toBe(0);
    const shots = mkdtempSync(join(tmpdir(), "seqc-playground-"));
    await page.screenshot({ path: join(shots, "playground-error.png") });

    // Fix the target's shape: [3] -> [2].
    const at = BAD_SHAPES.indexOf("target y: [3]") + "target y: [".length;
    await editor.evaluate((el, at) => (el as unknown as { setSelectionRange(from: number, to: number): void }).setSelectionRange(at, at + 1), at);
    await page.keyboard.type("2");
    await page.locator("#diagram svg").first().waitFor();
    expect(await page.locator("#diagram svg").first().textContent()).toContain("p.W: 2*H = 8 params");
    expect(await diagnostics.textContent()).toBe("no problems");
    expect(await page.locator("#summary").textContent()).toContain("total params: 2*H + 2 = 10");
    expect(await page.locator("#gutter .error").count()).toBe(0);

    await page.screenshot({ path: join(shots, "playground.png") });
    console.log(`playground screenshots: ${join(shots, "playground-error.png")} (the error), ${join(shots, "playground.png")} (fixed)`);
    expect(problems).toEqual([]);
  });
});
