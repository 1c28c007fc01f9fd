/**
 * The admin dashboard: one static page (HTML, a script, a stylesheet in `./dashboard/`) served
 * at `/admin/`. It holds no data of its own: it asks for an admin token, keeps it in
 * sessionStorage and calls the admin API with it. The build copies `./dashboard/` next to the
 * bundle (`tsup.config.ts`), so the same relative URL finds it in `src/` and in `dist/`.
 */
import type { Hono } from 'hono';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FILES = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
} as const;

/** Only this origin's script and styles, no inline code, no framing: the page holds a token. */
const HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

function readPage(dir: string): Record<keyof typeof FILES, string> {
  const read = (name: keyof typeof FILES) => {
    const path = join(dir, name);
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new Error(
        `the admin dashboard's ${name} is missing at ${path} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}); rebuild the server, or set ADMIN_DASHBOARD=false`,
        { cause: error },
      );
    }
  };
  return { 'index.html': read('index.html'), 'dashboard.js': read('dashboard.js'), 'dashboard.css': read('dashboard.css') };
}

/** `GET /admin` (redirects to `/admin/`), `GET /admin/` and the page's two assets. */
// A path, not `new URL('./dashboard/', import.meta.url)`: a DOM test environment (happy-dom)
// replaces the global URL with one that does not resolve file: URLs.
const DASHBOARD_DIR = join(dirname(fileURLToPath(import.meta.url)), 'dashboard');

export function dashboardRoutes(app: Hono, dir: string = DASHBOARD_DIR): void {
  const page = readPage(dir);
  // Relative, so that the page also works behind a proxy that mounts the server under a prefix.
  app.get('/admin', (c) => c.redirect('admin/', 302));
  app.get('/admin/', (c) => c.body(page['index.html'], 200, { ...HEADERS, 'content-type': FILES['index.html'] }));
  for (const name of ['dashboard.js', 'dashboard.css'] as const) {
    app.get(`/admin/${name}`, (c) => c.body(page[name], 200, { ...HEADERS, 'content-type': FILES[name] }));
  }
}
