// Starts a benchmark server (bench/server.ts) in its own process and talks to it over IPC.
import { spawn, type ChildProcess } from 'node:child_process'
import type { HostName } from '../scenarios/types.js'
import type { ServerReply, ServerRequest } from './protocol.js'

export type Side = 'mounted' | 'baseline'

export interface ServerOptions {
  host: HostName
  /** One scenario, or several served by one process (the memory scenario). */
  scenarios: string[]
  side: Side
  dbPath: string
  /** Extra Node flags: --expose-gc, --cpu-prof, --cpu-prof-dir=… */
  nodeFlags?: string[]
}

type Question = { cmd: 'usage' | 'gc' } | { cmd: 'snapshot'; file: string }

export class ServerProcess {
  readonly label: string
  readonly #child: ChildProcess
  readonly #pending = new Map<number, (reply: ServerReply) => void>()
  #nextId = 0
  port!: number

  private constructor(options: ServerOptions) {
    this.label = `${options.host}/${options.scenarios.join('+')}/${options.side}`
    const args = [...(options.nodeFlags ?? []), '--import', 'tsx', 'bench/server.ts']
    args.push(options.host, options.scenarios.join(','), options.side, options.dbPath)
    this.#child = spawn(process.execPath, args, {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, NODE_ENV: 'production' },
    })
    this.#child.on('message', (message: any) => {
      if (typeof message?.id === 'number') {
        this.#pending.get(message.id)?.(message)
        this.#pending.delete(message.id)
      }
    })
  }

  static start(options: ServerOptions): Promise<ServerProcess> {
    const server = new ServerProcess(options)
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`${server.label} exited with ${code} before listening`))
      server.#child.once('exit', onExit)
      server.#child.on('message', (message: any) => {
        if (typeof message?.ready !== 'number') return
        server.#child.off('exit', onExit)
        server.port = message.ready
        resolve(server)
      })
    })
  }

  get pid(): number {
    return this.#child.pid!
  }

  /** The server's own CPU time and memory, read inside its process. */
  ask(question: Question): Promise<ServerReply> {
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      if (!this.#child.connected) return reject(new Error(`${this.label} is not running`))
      this.#pending.set(id, resolve)
      this.#child.send({ id, ...question } as ServerRequest)
    })
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#child.exitCode !== null || this.#child.signalCode !== null) return resolve()
      this.#child.once('exit', () => resolve())
      this.#child.kill('SIGTERM')
    })
  }
}
