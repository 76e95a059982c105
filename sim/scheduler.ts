/**
 * A deterministic discrete-event scheduler: events run in order of their
 * time, ties in the order they were scheduled; simulated time only moves
 * between events, so work done inside an event takes no simulated time.
 *
 * Events may start asynchronous work. Two kinds are told apart:
 * - CPU work (signature and VRF checks on WebCrypto, a block's validation):
 *   registered with `cpu(promise)`; the scheduler waits for all of it to
 *   settle before the next event, so it finishes at the time it started.
 * - Tasks that wait for the simulated network (a sync waits for its peers'
 *   answers): started with `spawn(promise)`; their continuations run in the
 *   microtasks that follow the event that resolves them (`wake()` marks
 *   such an event), and the scheduler drains those microtasks before the
 *   next event.
 * An event handler that returns a promise is CPU work too.
 */
export type EventFn = () => void | Promise<void>;

interface Event {
  readonly time: number;
  readonly seq: number;
  readonly fn: EventFn;
}

export class Scheduler {
  now = 0;
  private readonly heap: Event[] = [];
  private seq = 0;
  private drain = false;
  private readonly cpuWork = new Set<Promise<unknown>>();
  private failure: unknown = null;
  /** events run so far */
  executed = 0;

  at(time: number, fn: EventFn): void {
    if (!(time >= this.now)) throw new RangeError(`cannot schedule at ${time}, now is ${this.now}`);
    this.push({ time, seq: this.seq++, fn });
  }

  after(delayMs: number, fn: EventFn): void {
    this.at(this.now + Math.max(0, delayMs), fn);
  }

  /** Repeats `fn` every `periodMs`, first at `firstAt`. */
  every(periodMs: number, firstAt: number, fn: EventFn): void {
    const tick = (): void | Promise<void> => {
      this.after(periodMs, tick);
      return fn();
    };
    this.at(firstAt, tick);
  }

  /** CPU work started by an event: the next event waits for it. */
  cpu<T>(p: Promise<T>): Promise<T> {
    this.cpuWork.add(p);
    this.drain = true;
    const done = (): void => {
      this.cpuWork.delete(p);
    };
    p.then(done, done);
    return p;
  }

  /** A task that waits on the simulated network; a failure stops the run. */
  spawn(p: Promise<unknown>): void {
    this.drain = true;
    p.catch((e: unknown) => {
      this.failure ??= e;
    });
  }

  /** The current event resolved a promise: run its continuations before the next event. */
  wake(): void {
    this.drain = true;
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Runs events up to and including time `until` (then the clock reads `until`). */
  async run(until: number): Promise<void> {
    while (this.heap.length > 0 && (this.heap[0] as Event).time <= until) {
      const ev = this.pop();
      this.now = ev.time;
      this.executed++;
      const r = ev.fn();
      if (r !== undefined) {
        this.drain = true;
        await r;
      }
      while (this.drain || this.cpuWork.size > 0) {
        this.drain = false;
        if (this.cpuWork.size > 0) await Promise.allSettled([...this.cpuWork]);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (this.failure !== null) throw this.failure;
    }
    this.now = Math.max(this.now, until);
  }

  private push(e: Event): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(e, h[p] as Event)) break;
      h[i] = h[p] as Event;
      i = p;
    }
    h[i] = e;
  }

  private pop(): Event {
    const h = this.heap;
    const top = h[0] as Event;
    const last = h.pop() as Event;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && before(h[r] as Event, h[l] as Event) ? r : l;
        if (!before(h[c] as Event, last)) break;
        h[i] = h[c] as Event;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

function before(a: Event, b: Event): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
