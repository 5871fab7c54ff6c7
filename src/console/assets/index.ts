import { createHash } from 'node:crypto';
import express, { type Router } from 'express';
import { CONSOLE_JS } from './client.js';
import { CONSOLE_CSS } from './styles.js';

/** GET /console/assets/console.css and console.js: built with the repository, no CDN. */
export function assetRoutes(): Router {
  const router = express.Router();
  const serve = (name: string, type: string, text: string) => {
    const body = Buffer.from(text.trim() + '\n');
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`;
    router.get(`/assets/${name}`, (req, res) => {
      res.set({ 'Cache-Control': 'no-cache', ETag: etag, 'Content-Type': type });
      if (req.get('if-none-match') === etag) return void res.status(304).end();
      res.send(body);
    });
  };
  serve('console.css', 'text/css; charset=utf-8', CONSOLE_CSS);
  serve('console.js', 'text/javascript; charset=utf-8', CONSOLE_JS);
  return router;
}
