/**
 * web/serve.ts: the playground's static server serves the files under its
 * root (a folder's index.html for `/`), with their content types, by GET and
 * HEAD only, on 127.0.0.1, and nothing outside the root however the path is written.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveStatic } from "../../web/serve.js";

/** A request with its path sent as written (fetch would resolve `..`). */
function raw(url: string, path: string, method = "GET"): Promise<{ status: number; type?: string; body: string }> {
  return new Promise((done, fail) => {
    const req = request(new URL(url), { path, method }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c));
      res.on("end", () => done({ status: res.statusCode!, type: res.headers["content-type"], body }));
    });
    req.on("error", fail).end();
  });
}

describe("serveStatic", () => {
  const dir = mkdtempSync(join(tmpdir(), "seqc-serve-"));
  const root = join(dir, "web");
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    mkdirSync(join(root, "dist"), { recursive: true });
    writeFileSync(join(root, "index.html"), "<!doctype html>page");
    writeFileSync(join(root, "dist", "app.js"), "export {};");
    writeFileSync(join(dir, "secret.txt"), "outside the root");
    const served = await serveStatic(root);
    url = served.url;
    close = () => new Promise((done) => served.server.close(() => done()));
  });

  afterAll(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("listens on 127.0.0.1 and serves index.html for / and files with their types", async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await raw(url, "/")).toEqual({ status: 200, type: "text/html; charset=utf-8", body: "<!doctype html>page" });
    expect(await raw(url, "/dist/app.js?v=1")).toEqual({ status: 200, type: "text/javascript; charset=utf-8", body: "export {};" });
    expect(await raw(url, "/dist/app.js", "HEAD")).toMatchObject({ status: 200, body: "" });
  });

  it("answers 404 for a missing file, a folder without index.html, and any path outside the root; 405 for other methods", async () => {
    for (const path of ["/nope.js", "/dist/", "/../secret.txt", "/%2e%2e/secret.txt", "/dist/..%2f..%2fsecret.txt", "/%E0%A4%A"]) {
      const res = await raw(url, path);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain("outside");
    }
    expect((await raw(url, "/", "POST")).status).toBe(405);
  });
});
