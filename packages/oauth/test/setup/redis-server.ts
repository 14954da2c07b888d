import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { connect } from 'node:net'
import { freePort } from '../../../engine/test/loopback-server.js'

/** A `redis-server` of the Debian package, on 127.0.0.1 and a free port, without persistence. */
export interface RunningRedis {
  url: string
  stop(): Promise<void>
}

async function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.setTimeout(500)
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (data) => {
      socket.destroy()
      resolve(data.toString().startsWith('+PONG'))
    })
    socket.on('error', () => resolve(false))
    socket.on('timeout', () => {
      socket.destroy()
      resolve(false)
    })
  })
}

/** Start `redis-server`; fails with a clear message when it is not installed (`pnpm --filter @tokenrules/oauth setup:system`). */
export async function startRedisServer(): Promise<RunningRedis> {
  const port = await freePort()
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
    {
      stdio: 'ignore',
    },
  )
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) =>
      reject(new Error(`redis-server could not start (${error.message}); install it with: pnpm --filter @tokenrules/oauth setup:system`)),
    )
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}`)))
  })
  failed.catch(() => undefined)
  const deadline = Date.now() + 10_000
  for (;;) {
    if (await Promise.race([answersPing(port), failed])) break
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error('redis-server did not answer PING within 10 s')
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    },
  }
}
