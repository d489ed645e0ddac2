import type { z } from 'zod'

/** A step, condition or map failed; the message is what the run reports, so it names the step. */
export class StepFailure extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'StepFailure'
  }
}

/** The run's signal fired (cancel, a lost claim on the run, or a caller's abort). */
export class RunCanceled extends Error {
  constructor() {
    super('Workflow run canceled')
    this.name = 'RunCanceled'
  }
}

/** The message of anything user code threw; never a stack. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message
  if (typeof err === 'string') return err
  return 'Unknown error'
}

function issuesText(error: z.ZodError): string {
  return error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ')
}

/** Parses `value` or throws a StepFailure such as "Step add input invalid: a: Invalid input: expected number". */
export function checkSchema<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  let result: z.ZodSafeParseResult<z.output<S>>
  try {
    result = schema.safeParse(value)
  } catch (err) {
    // Async refinements cannot run in a synchronous parse; report them as the step's failure.
    throw new StepFailure(`${what} could not be validated: ${errorMessage(err)}`)
  }
  if (!result.success) throw new StepFailure(`${what} invalid: ${issuesText(result.error)}`)
  return result.data
}
