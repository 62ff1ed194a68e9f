/**
 * Errors a user can cause or fix. The CLI prints `convgen: <message>` on one line and exits with `exitCode`;
 * anything that is not a ConvgenError is a bug in convgen and keeps its stack trace.
 */
import os from 'node:os';

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

/** Exit status of a command stopped by SIGINT (128 + 2, as shells report it). */
export const INTERRUPTED_EXIT = 130;

/** The signals that stop a command the way Ctrl-C does: every child killed, temporary files removed, 128 + n. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** 128 + the signal's number, as shells report a command a signal ended. */
export function signalExit(signal: StopSignal): number {
  return 128 + (os.constants.signals[signal] ?? 2);
}

/**
 * The user pressed Ctrl-C (SIGINT): every running tool was killed and the command unwinds, removing its temporary
 * folders. Deliberately not a ConvgenError, so that no per-pair handler records it as a result and carries on.
 */
export class InterruptedError extends Error {
  constructor() {
    super('interrupted');
    this.name = 'InterruptedError';
  }
}

let interruption = new AbortController();
let stoppedBy: StopSignal = 'SIGINT';

/** The signal every spawned tool is given (execa's cancelSignal): aborting it kills them all. */
export function cancelSignal(): AbortSignal {
  return interruption.signal;
}

export function interrupted(): boolean {
  return interruption.signal.aborted;
}

/** Kill every running tool and make every later spawn fail with InterruptedError. */
export function interrupt(signal: StopSignal = 'SIGINT'): void {
  if (!interruption.signal.aborted) stoppedBy = signal;
  interruption.abort();
}

/** The signal that interrupted the command (SIGINT unless another was recorded). */
export function interruptSignal(): StopSignal {
  return stoppedBy;
}

/** A fresh signal (in-process callers such as tests run several commands in one process). */
export function resetInterrupt(): void {
  interruption = new AbortController();
  stoppedBy = 'SIGINT';
}

export function throwIfInterrupted(): void {
  if (interrupted()) throw new InterruptedError();
}
