/**
 * Errors a user can cause or fix. The CLI prints `convgen: <message>` on one line and exits with `exitCode`;
 * anything that is not a ConvgenError is a bug in convgen and keeps its stack trace.
 */
export const ExitCode = {
  ok: 0,
  mismatch: 1,
  badInput: 2,
  environment: 3,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class ConvgenError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Malformed or impossible input: a spec, an argument, a .npy file. `where` is "file" or "file: $.json.path". */
export class InputError extends ConvgenError {
  constructor(
    readonly where: string,
    readonly detail: string,
  ) {
    super(`${where}: ${detail}`, ExitCode.badInput);
  }
}

/** The machine lacks something or a tool failed: missing toolchain, a compiler error, a hung or faulting emulator. */
export class EnvironmentError extends ConvgenError {
  constructor(message: string) {
    super(message, ExitCode.environment);
  }
}
