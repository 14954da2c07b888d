import { execFile } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { extname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const build = fileURLToPath(new URL('../build.mjs', import.meta.url))

/** Runs `pnpm docs:build`'s script into `out`; resolves to what it printed. */
export async function buildSite(out: string): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [build, out], { timeout: 300_000 })
}

/** Every .html file under `dir`, relative to it with '/'. */
export function htmlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.html'))
    .map((file) => file.split(sep).join('/'))
    .sort()
}

/** The text an HTML attribute value stands for (the entities the builders write). */
export function unescapeAttribute(value: string): string {
  return value
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&#x([\da-f]+);/gi, (_, code: string) => String.fromCharCode(parseInt(code, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
}

/** Serves the built site from `dir` on 127.0.0.1 (a folder's index.html for its path); resolves to its origin and a stop function. */
export async function serveSite(dir: string): Promise<{ origin: string; stop: () => Promise<void> }> {
  const root = resolve(dir)
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://site').pathname)
    let file = resolve(root, `.${path}`)
    if (file !== root && !file.startsWith(root + sep)) return void response.writeHead(403).end()
    if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) file = join(file, 'index.html')
    if (!statSync(file, { throwIfNoEntry: false })?.isFile()) return void response.writeHead(404).end(`no ${relative(root, file)}`)
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file))
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('the site server has no port')
  return {
    origin: `http://127.0.0.1:${address.port}`,
    stop: () => new Promise<void>((done, fail) => server.close((error) => (error ? fail(error) : done()))),
  }
}
