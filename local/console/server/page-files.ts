/**
 * The page's files, served from local/console/page/ (no build step, nothing from a CDN): `/` is
 * index.html with the run's token written in, `/static/<file>` one file of the folder by name. Names
 * are checked against a plain pattern (no slash, no leading dot) before the file system is touched,
 * so no path leaves the folder and no folder is listed.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** Where the page is unless startConsole is told otherwise. */
export const PAGE_DIR = path.join(__dirname, '..', 'page');

/** Written into index.html (the `kw-console-token` meta tag) in place of this placeholder. */
export const TOKEN_PLACEHOLDER = '__KW_CONSOLE_TOKEN__';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface PageFile {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer | string;
}

const notFound = (message: string): PageFile => ({
  status: 404,
  contentType: 'application/json; charset=utf-8',
  body: JSON.stringify({ error: message }),
});

/** The file a GET of `pathname` (still percent-encoded) answers: a page file, or a 404 saying why not. */
export async function pageFile(pageDir: string, pathname: string, token: string): Promise<PageFile> {
  if (pathname === '/' || pathname === '/index.html') {
    const file = path.join(pageDir, 'index.html');
    try {
      const html = await fs.readFile(file, 'utf8');
      return {
        status: 200,
        contentType: 'text/html; charset=utf-8',
        body: html.replaceAll(TOKEN_PLACEHOLDER, token),
      };
    } catch {
      return notFound(`the console page is missing: no ${file}`);
    }
  }
  const name = /^\/static\/([^/]+)$/.exec(pathname)?.[1];
  let decoded: string | undefined;
  try {
    decoded = name === undefined ? undefined : decodeURIComponent(name);
  } catch {
    decoded = undefined;
  }
  const type = decoded === undefined ? undefined : CONTENT_TYPES[path.extname(decoded).toLowerCase()];
  if (decoded === undefined || !FILE_NAME.test(decoded) || type === undefined) {
    return notFound(
      `no page file ${pathname}: the console serves / and /static/<name>.(${Object.keys(CONTENT_TYPES)
        .map((e) => e.slice(1))
        .join('|')})`,
    );
  }
  try {
    return { status: 200, contentType: type, body: await fs.readFile(path.join(pageDir, decoded)) };
  } catch {
    return notFound(`no page file ${pathname}`);
  }
}
