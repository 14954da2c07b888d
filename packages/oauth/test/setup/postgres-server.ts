import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../../engine/test/loopback-server.js'

/**
 * A PostgreSQL cluster of its own (Debian's `postgresql` package): `initdb` into a temporary
 * directory, listening on 127.0.0.1 and a free port with its socket in that directory, `trust`
 * authentication for loopback only, no fsync (a throwaway test database). Stopped by `stop()`; it
 * can be stopped and started again on the same port and data (`halt()`, `start()`), as a test of a
 * database that goes away and comes back.
 */
export interface RunningPostgres {
  /** `postgres://tokenrules@127.0.0.1:<port>/tokenrules` */
  url: string
  port: number
  /** Makes a new empty database and answers its URL (a test's own schema, no clean-up needed). */
  createDatabase(name: string): Promise<string>
  /** Stops the server (fast shutdown: open connections are cut), keeping its data. */
  halt(): Promise<void>
  /** Starts it again on the same port and data. */
  start(): Promise<void>
  /** Stops it and removes its data. */
  stop(): Promise<void>
}

const USER = 'tokenrules'

/** The directory of Debian's PostgreSQL binaries: the newest /usr/lib/postgresql/<major>/bin, or the PATH's. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql'
  if (existsSync(root)) {
    const majors = readdirSync(root)
      .filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, 'bin', 'postgres')))
      .sort((a, b) => Number(b) - Number(a))
    if (majors[0] !== undefined) return join(root, majors[0], 'bin')
  }
  const found = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' })
  const path = found.stdout.trim()
  return found.status === 0 && path !== '' ? join(path, '..') : undefined
}

/**
 * PostgreSQL refuses to run as root: as root, the cluster belongs to and runs as the `postgres`
 * user of the Debian package (or `nobody`), through `setpriv`; as anyone else, as that user.
 */
function runAs(): { uid: number; gid: number; prefix: string[] } | undefined {
  if (process.getuid?.() !== 0) return undefined
  for (const name of ['postgres', 'nobody']) {
    const id = spawnSync('id', ['-u', name], { encoding: 'utf8' })
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' })
    if (id.status === 0 && gid.status === 0) {
      const uid = Number(id.stdout.trim())
      const group = Number(gid.stdout.trim())
      return { uid, gid: group, prefix: ['setpriv', `--reuid=${uid}`, `--regid=${group}`, '--clear-groups', '--'] }
    }
  }
  throw new Error('running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as')
}

function command(bin: string, user: ReturnType<typeof runAs>, program: string, args: string[]): [string, string[]] {
  const full = join(bin, program)
  return user === undefined ? [full, args] : [user.prefix[0] as string, [...user.prefix.slice(1), full, ...args]]
}

function run(bin: string, user: ReturnType<typeof runAs>, program: string, args: string[]): void {
  const [file, argv] = command(bin, user, program, args)
  const result = spawnSync(file, argv, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } })
  if (result.error !== undefined || result.status !== 0) {
    throw new Error(`${program} failed (${result.error?.message ?? `exit ${result.status}`}): ${result.stderr}${result.stdout}`)
  }
}

/** Start a PostgreSQL cluster; fails with a clear message when PostgreSQL is not installed (`pnpm --filter @tokenrules/oauth setup:system`). */
export async function startPostgresServer(): Promise<RunningPostgres> {
  const bin = postgresBinDir()
  if (bin === undefined || !existsSync(join(bin, 'postgres'))) {
    throw new Error('PostgreSQL is not installed (no initdb/postgres); install it with: pnpm --filter @tokenrules/oauth setup:system')
  }
  const user = runAs()
  const root = mkdtempSync(join(tmpdir(), 'tokenrules-pg-'))
  const data = join(root, 'data')
  const socket = join(root, 'socket')
  const own = (path: string) => {
    if (user !== undefined) chownSync(path, user.uid, user.gid)
  }
  own(root)
  chmodSync(root, 0o700)
  run(bin, user, 'initdb', ['-D', data, '-U', USER, '--auth=trust', '--encoding=UTF8', '--no-sync', '-N'])
  // Loopback only, trust (a test cluster nobody else reaches): the default pg_hba already says so
  // for local and 127.0.0.1/::1 with --auth=trust; listen_addresses keeps it off other interfaces.
  mkdirSync(socket, { mode: 0o700 })
  own(socket)
  const port = await freePort()
  let child: ChildProcess | undefined
  let output = ''

  const start = async () => {
    output = ''
    const [file, argv] = command(bin, user, 'postgres', [
      '-D',
      data,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${socket}`,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
      '-c',
      'shared_buffers=32MB',
    ])
    const proc = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } })
    child = proc
    proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const failed = new Promise<never>((_, reject) => {
      proc.once('error', (error) => reject(new Error(`postgres could not start (${error.message})`)))
      proc.once('exit', (code) => reject(new Error(`postgres exited with code ${code}:\n${output}`)))
    })
    failed.catch(() => undefined)
    const deadline = Date.now() + 30_000
    for (;;) {
      if (await Promise.race([ready(), failed])) return
      if (Date.now() > deadline) {
        proc.kill('SIGKILL')
        throw new Error(`postgres did not accept connections within 30 s:\n${output}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  const ready = async () => {
    const { default: pg } = await import('pg')
    const client = new pg.Client({ host: '127.0.0.1', port, user: USER, database: 'postgres', connectionTimeoutMillis: 1_000 })
    client.on('error', () => undefined)
    try {
      await client.connect()
      await client.query('SELECT 1')
      return true
    } catch {
      return false
    } finally {
      await client.end().catch(() => undefined)
    }
  }
  const halt = async () => {
    const proc = child
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return
    const exited = once(proc, 'exit')
    // SIGINT: PostgreSQL's fast shutdown (roll back open transactions, cut connections). Through
    // setpriv the signal reaches postgres, which setpriv execs into.
    proc.kill('SIGINT')
    await exited
  }
  const admin = async <T>(work: (client: import('pg').Client) => Promise<T>): Promise<T> => {
    const { default: pg } = await import('pg')
    const client = new pg.Client({ host: '127.0.0.1', port, user: USER, database: 'postgres' })
    await client.connect()
    try {
      return await work(client)
    } finally {
      await client.end()
    }
  }

  try {
    await start()
    await admin((client) => client.query(`CREATE DATABASE ${USER}`))
  } catch (error) {
    await halt().catch(() => undefined)
    rmSync(root, { recursive: true, force: true })
    throw error
  }
  return {
    url: `postgres://${USER}@127.0.0.1:${port}/${USER}`,
    port,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain database name: ${name}`)
      await admin((client) => client.query(`CREATE DATABASE ${name}`))
      return `postgres://${USER}@127.0.0.1:${port}/${name}`
    },
    halt,
    start,
    async stop() {
      await halt()
      rmSync(root, { recursive: true, force: true })
    },
  }
}
