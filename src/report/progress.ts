/**
 * Progress of long runs (convgen test, bench, fuzz) on stderr, never on stdout, where results and reports go.
 * On a terminal: one live line, redrawn in place every second (done/total, elapsed, estimate, what finished last).
 * Elsewhere (CI logs, pipes): a plain line at each tenth of the run and at least every `plainEverySeconds`, once the
 * run has taken `quietSeconds` (5 s): a short run adds nothing to a log. CONVGEN_PROGRESS=off silences it; =plain
 * forces plain lines from the start.
 */

/** What a Progress writes to: process.stderr, or a test's stand-in. */
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** Leads every line: "test", "bench", "fuzz cortex-m4". */
  label: string;
  total: number;
  /** What one unit is called in plain lines ("pairs", "measurements", "cases"). */
  unit: string;
  stream?: ProgressStream;
  /** Milliseconds since some origin (tests pass a fake clock). */
  now?: () => number;
  plainEverySeconds?: number;
  /** Plain lines only once the run has taken this long (default: 5 s when the mode was detected, else 0). */
  quietSeconds?: number;
  mode?: 'live' | 'plain' | 'off';
}

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** The mode, and whether it was asked for (an explicit plain mode prints from the start). */
function modeFor(stream: ProgressStream): { mode: 'live' | 'plain' | 'off'; asked: boolean } {
  const env = process.env.CONVGEN_PROGRESS;
  if (env === 'off' || env === 'plain') return { mode: env, asked: true };
  return { mode: stream.isTTY ? 'live' : 'plain', asked: false };
}

export class Progress {
  private done = 0;
  private last = '';
  private readonly started: number;
  private lastPlainAt: number;
  private lastPlainTenth = 0;
  private timer?: ReturnType<typeof setInterval>;
  private shown = false;
  private readonly stream: ProgressStream;
  private readonly now: () => number;
  readonly mode: 'live' | 'plain' | 'off';
  private readonly quietSeconds: number;

  constructor(private readonly o: ProgressOptions) {
    this.stream = o.stream ?? process.stderr;
    this.now = o.now ?? Date.now;
    const detected = o.mode ? { mode: o.mode, asked: true } : modeFor(this.stream);
    this.mode = detected.mode;
    this.quietSeconds = o.quietSeconds ?? (detected.asked ? 0 : 5);
    this.started = this.now();
    this.lastPlainAt = this.started;
    if (this.mode === 'live' && o.total > 0) {
      this.draw();
      // The elapsed time keeps moving while a long item runs.
      this.timer = setInterval(() => this.draw(), 1000);
      this.timer.unref();
    }
  }

  /** "12/48 (25%), 1 min 3 s elapsed, about 3 min 9 s left" */
  status(): string {
    const elapsed = (this.now() - this.started) / 1000;
    const { total } = this.o;
    const pct = total ? Math.floor((this.done * 100) / total) : 100;
    const left = this.done > 0 && this.done < total ? `, about ${duration((elapsed / this.done) * (total - this.done))} left` : '';
    return `${this.done}/${total} ${this.o.unit} (${pct}%), ${duration(elapsed)} elapsed${left}`;
  }

  get count(): number {
    return this.done;
  }

  /** `n` more items finished (default one); `what` names the last on the live line. */
  tick(what = '', n = 1): void {
    this.done = Math.min(this.o.total, this.done + n);
    this.last = what;
    if (this.mode === 'live') this.draw();
    else if (this.mode === 'plain') this.plain();
  }

  /** A line for the user (a failure, a result) without tearing the live line: cleared, written, redrawn. */
  log(line: string, to: (s: string) => void = (s) => console.log(s)): void {
    if (this.mode === 'live' && this.shown) this.stream.write('\r\x1b[2K');
    this.shown = false;
    to(line);
    if (this.mode === 'live' && this.timer) this.draw();
  }

  /** Stop redrawing and remove the live line (the command's own summary follows). Safe to call twice. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.mode === 'live' && this.shown) this.stream.write('\r\x1b[2K');
    this.shown = false;
  }

  private draw(): void {
    const text = `${this.o.label}: ${this.status()}${this.last ? ` · ${this.last}` : ''}`;
    const width = Math.max(20, (this.stream.columns || 100) - 1); // 0 when the terminal reports no size
    this.stream.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    this.shown = true;
  }

  private plain(): void {
    if ((this.now() - this.started) / 1000 < this.quietSeconds) return;
    const tenth = Math.floor((this.done * 10) / Math.max(1, this.o.total));
    const due = (this.now() - this.lastPlainAt) / 1000 >= (this.o.plainEverySeconds ?? 30);
    if (tenth <= this.lastPlainTenth && !due && this.done !== this.o.total) return;
    this.lastPlainTenth = tenth;
    this.lastPlainAt = this.now();
    this.stream.write(`${this.o.label}: ${this.status()}\n`);
  }
}
