import { Refusal } from '../../services/errors.ts';

// A failure the user can act on: printed as its message alone, exit code 1, no stack trace.
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

/** Runs a use case, turning its refusals into CliErrors (one line, exit code 1). */
export async function refusalsAsCliErrors<T>(useCase: () => Promise<T>): Promise<T> {
  try {
    return await useCase();
  } catch (error) {
    if (error instanceof Refusal) throw new CliError(error.message, 1, { cause: error });
    throw error;
  }
}
