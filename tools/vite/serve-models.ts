/**
 * Vite plugin: serve the repo's models/ folder at /models/ in dev and preview, with Range support
 * (the store resumes downloads with Range requests), and copy it into the build's outDir.
 * models/ is not Vite's publicDir because public/ already is, and weights must never be hashed or inlined.
 */
import { cpSync, createReadStream, existsSync, statSync } from 'node:fs';
import { join, normalize, resolve, sep } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin, ResolvedConfig } from 'vite';

const TYPES: Record<string, string> = { '.json': 'application/json', '.png': 'image/png' };

/** `dir` defaults to $NEXTSCALE_MODELS_DIR or models/ (the env lets tests serve another export). */
export function serveModels(dir = process.env.NEXTSCALE_MODELS_DIR ?? 'models', urlBase = '/models/'): Plugin {
  let config: ResolvedConfig;
  const root = () => resolve(config.root, dir);
  const middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!url.pathname.startsWith(urlBase) || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    const rel = normalize(decodeURIComponent(url.pathname.slice(urlBase.length)));
    const file = join(root(), rel);
    if (rel.startsWith('..') || !file.startsWith(root() + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404;
      return res.end('not found');
    }
    const size = statSync(file).size;
    const ext = file.slice(file.lastIndexOf('.'));
    res.setHeader('Content-Type', TYPES[ext] ?? 'application/octet-stream');
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    let start = 0;
    let end = size - 1;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start >= size || start > end) {
        res.statusCode = 416;
        res.setHeader('Content-Range', `bytes */${size}`);
        return res.end();
      }
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    }
    res.setHeader('Content-Length', String(end - start + 1));
    if (req.method === 'HEAD' || size === 0) return res.end();
    createReadStream(file, { start, end }).pipe(res);
  };
  return {
    name: 'nextscale:serve-models',
    configResolved(c) {
      config = c;
    },
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
    writeBundle() {
      if (existsSync(root())) cpSync(root(), join(resolve(config.root, config.build.outDir), urlBase), { recursive: true });
    },
  };
}
