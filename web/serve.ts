/**
 * `npm run web`: builds the playground, then serves web/ from 127.0.0.1 (port
 * PORT, default 8080; 0 picks a free one) with a tiny static server, and
 * prints the page's URL. Only files under web/ are served, by GET and HEAD.
 */
import { createReadStream, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { buildWeb, describeBuild, OUT_DIR } from "./build.js";

const WEB = join(OUT_DIR, "..");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".map": "application/json",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** The file a request's path names under `root` (`/` is index.html), or undefined when it names none. */
function fileOf(root: string, urlPath: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split("?")[0]!);
  } catch {
    return undefined;
  }
  const file = normalize(join(root, path.endsWith("/") ? `${path}index.html` : path));
  if (file !== root && !file.startsWith(root + sep)) return undefined;
  try {
    return statSync(file).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

/** Serves the files under `root` on 127.0.0.1:`port`; resolves with the URL once listening. */
export function serveStatic(root: string, port = 0): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { "content-type": "text/plain", allow: "GET, HEAD" }).end("only GET and HEAD\n");
      return;
    }
    const file = fileOf(root, req.url ?? "/");
    if (!file) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-cache" });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((done, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") return fail(new Error("the server has no port"));
      done({ url: `http://127.0.0.1:${address.port}/`, server });
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(describeBuild(await buildWeb()));
  const { url } = await serveStatic(WEB, Number(process.env.PORT ?? 8080));
  console.log(`seqc playground: ${url} (Ctrl-C stops it)`);
}
