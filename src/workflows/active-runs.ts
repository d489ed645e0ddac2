import { conflict } from '../core/errors.js'

/** A run executing in this process: its abort switch and a promise that settles when it stops. */
export interface ActiveRun {
  readonly controller: AbortController
  readonly settled: Promise<void>
  /** Drops the claim; `settled` resolves. */
  release(): void
}

/**
 * The runs of one workflow executing in this process. A stored `running` run missing
 * here was left behind by another (possibly dead) process; one present here is live.
 */
export class ActiveRuns {
  readonly #runs = new Map<string, ActiveRun>()

  get(runId: string): ActiveRun | undefined {
    return this.#runs.get(runId)
  }

  has(runId: string): boolean {
    return this.#runs.has(runId)
  }

  /** Claims `runId` for this process, or throws 409 when it is already executing here. */
  claim(runId: string): ActiveRun {
    if (this.#runs.has(runId)) throw conflict(`Workflow run ${runId} is already running`)
    let resolve!: () => void
    const settled = new Promise<void>((r) => (resolve = r))
    const run: ActiveRun = {
      controller: new AbortController(),
      settled,
      release: () => {
        if (this.#runs.get(runId) === run) this.#runs.delete(runId)
        resolve()
      },
    }
    this.#runs.set(runId, run)
    return run
  }
}
