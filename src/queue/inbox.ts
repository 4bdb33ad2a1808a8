import type { RootDatabase } from "lmdb";
import type { Logger } from "../log.ts";
import type { Job, JobSpec } from "./types.ts";

/** An accepted job as stored in the inbox: [name, queue, data, maxAttempts, key, runAt] (layout in storage/keys.ts). */
export type InboxEntry = [string, string, unknown, number, string | null, number | null];

/** The inbox entry for a prepared job; `runAt` only when the spec asked for one (else it is due when moved). */
export function toInboxEntry(job: Job, runAt: number | undefined): InboxEntry {
  return [job.name, job.queue, job.data, job.maxAttempts, job.key ?? null, runAt ?? null];
}

/** The job spec an inbox entry stands for. */
export function fromInboxEntry([name, queue, data, maxAttempts, key, runAt]: InboxEntry): JobSpec {
  return { name, queue, data, maxAttempts, key: key ?? undefined, runAt: runAt ?? undefined };
}

/**
 * Inbox entries moved into the queue per main transaction. Absorbed ones (delivery reports) are applied in it,
 * ~25 µs each on the event loop: 500 keep a move under ~15 ms.
 */
const INBOX_BATCH = 500;

export interface InboxMoverOptions {
  /** The inbox environment (storage/db.ts). */
  inbox: RootDatabase<unknown, number>;
  /** The highest entry number already moved (stored in the main environment). */
  readMark: () => number;
  /** Stores the entries as jobs and the new mark (the last entry's number) in ONE main transaction. */
  move: (entries: Array<{ key: number; value: InboxEntry }>) => Promise<void>;
  log?: Logger;
}

/**
 * The inbox half of `JobQueue.accept`: appends entries (durable once the inbox environment commits), then moves
 * committed ones into the queue, oldest first, in batches — `move` writes them with the mark, so an entry moves
 * exactly once even if a crash comes before its inbox delete — and deletes them from the inbox. Entries a crash
 * left behind are moved (or, when at or below the mark, only deleted) at start-up.
 */
export class InboxMover {
  private nextSeq: number;
  private running?: Promise<void>;
  private again = false;

  constructor(private readonly o: InboxMoverOptions) {
    let last = 0;
    for (const key of o.inbox.getKeys({ reverse: true, limit: 1 })) last = key;
    this.nextSeq = Math.max(last, o.readMark()) + 1;
    if (last > 0) this.moveSoon();
  }

  /** Appends one entry; resolves once it is committed in the inbox. */
  async add(entry: InboxEntry): Promise<void> {
    await this.o.inbox.put(this.nextSeq++, entry);
    this.moveSoon();
  }

  /** Entries accepted and not yet moved. */
  depth(): number {
    return this.o.inbox.getCount({ start: this.o.readMark() + 1 });
  }

  /** Resolves when no move is running or due. */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  private moveSoon(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.moveAll()
      .catch((error) => {
        this.o.log?.error("queue: moving accepted jobs from the inbox failed; retrying", { error: String(error) });
        setTimeout(() => this.moveSoon(), 1_000).unref?.();
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.moveSoon();
        }
      });
  }

  private async moveAll(): Promise<void> {
    const inbox = this.o.inbox;
    for (;;) {
      const moved = this.o.readMark();
      // Entries a crash left behind after their move committed: moved already, only delete them.
      const stale = [...inbox.getKeys({ end: moved + 1, limit: INBOX_BATCH })];
      if (stale.length) await inbox.transaction(() => stale.forEach((key) => inbox.removeSync(key)));
      const entries = [...inbox.getRange({ start: moved + 1, limit: INBOX_BATCH })] as Array<{ key: number; value: InboxEntry }>;
      if (entries.length === 0) return;
      await this.o.move(entries);
      await inbox.transaction(() => entries.forEach(({ key }) => inbox.removeSync(key)));
    }
  }
}
