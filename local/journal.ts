import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

/** Compaction waits until this much was appended, however small the live records are. */
const minCompactBytes = 4 * 1024 * 1024;
const formatKey = '#format';

export interface JournalOptions {
  /** Names what the file holds and how: a file with another format is set aside, not read. */
  readonly format: string;
  /** Says what was discarded on opening (a torn tail, an unreadable file) and write failures. */
  readonly log?: (line: string) => void;
}

/**
 * What the local parts keep in `--data-dir` (the ECS simulator's tasks, SQS's messages): keyed
 * JSON records in an append-only file, one line each, `{"k": key, "v": value}` (no `v`: deleted).
 * The last line for a key wins.
 *
 * Writes are cheap and survive the process being killed at any moment: changes are buffered
 * (one line per key however often it changed) and appended in one write() at the end of the
 * current turn, or at once by `flush()` (before an API response says a change happened). The
 * page cache keeps what was written when the process dies; there is no fsync per write, so a
 * machine crash may lose the last moments. A write cut short by SIGKILL leaves a torn last
 * line, which the next open discards. Opening rewrites the file with only its live records
 * (atomically: a temporary file, fsync, rename), and so does the running journal once it has
 * appended more than the live records hold.
 */
export class Journal {
  /** key -> its current line, as the next compaction writes it. */
  private readonly live = new Map<string, string>();
  /** key -> the line to append at the next flush. */
  private readonly pending = new Map<string, string>();
  private fd: number;
  private appended = 0;
  private compacted = 0;
  private flushQueued = false;
  private closed = false;

  private constructor(
    private readonly path: string,
    private readonly options: JournalOptions,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.replay();
    this.compact();
    this.fd = openSync(path, 'a');
  }

  static open(path: string, options: JournalOptions): Journal {
    return new Journal(path, options);
  }

  /** The records whose key starts with `prefix`, values parsed, in the order they were first written. */
  entries<T>(prefix: string): [string, T][] {
    const found: [string, T][] = [];
    for (const [key, line] of this.live)
      if (key.startsWith(prefix)) found.push([key, (JSON.parse(line) as { v: T }).v]);
    return found;
  }

  get<T>(key: string): T | undefined {
    const line = this.live.get(key);
    return line === undefined ? undefined : (JSON.parse(line) as { v: T }).v;
  }

  put(key: string, value: unknown): void {
    if (this.closed) return;
    const line = `${JSON.stringify({ k: key, v: value })}\n`;
    if (this.live.get(key) === line) return;
    this.live.set(key, line);
    this.pending.set(key, line);
    this.queueFlush();
  }

  delete(key: string): void {
    if (this.closed || !this.live.has(key)) return;
    this.live.delete(key);
    this.pending.set(key, `${JSON.stringify({ k: key })}\n`);
    this.queueFlush();
  }

  /** Appends what changed since the last flush, now. */
  flush(): void {
    if (this.closed || this.pending.size === 0) return;
    const text = [...this.pending.values()].join('');
    this.pending.clear();
    writeFully(this.fd, text);
    this.appended += Buffer.byteLength(text);
    if (this.appended > Math.max(minCompactBytes, this.compacted)) {
      closeSync(this.fd);
      this.compact();
      this.fd = openSync(this.path, 'a');
    }
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    closeSync(this.fd);
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      try {
        this.flush();
      } catch (error) {
        this.say(`could not write ${this.path}: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
  }

  private replay(): void {
    if (!existsSync(this.path)) return;
    const text = readFileSync(this.path, 'utf8');
    const end = text.lastIndexOf('\n') + 1;
    if (end < text.length)
      this.say(`${this.path}: discarded a torn last record (${text.length - end} bytes)`);
    const lines = text.slice(0, end).split('\n');
    lines.pop();
    let unreadable = 0;
    let format: unknown;
    for (const line of lines) {
      let record: { k?: unknown; v?: unknown };
      try {
        record = JSON.parse(line) as { k?: unknown; v?: unknown };
      } catch {
        unreadable++;
        continue;
      }
      if (typeof record.k !== 'string') {
        unreadable++;
      } else if (record.k === formatKey) {
        format = record.v;
      } else if ('v' in record) {
        this.live.set(record.k, `${line}\n`);
      } else {
        this.live.delete(record.k);
      }
    }
    if (unreadable > 0) this.say(`${this.path}: skipped ${unreadable} unreadable record(s)`);
    if (format !== this.options.format && (lines.length > 0 || end < text.length)) {
      const aside = `${this.path}.${Date.now()}.unreadable`;
      renameSync(this.path, aside);
      this.live.clear();
      this.say(
        `${this.path} is not in format ${this.options.format} (found ${JSON.stringify(format)}): moved to ${aside}, starting empty`,
      );
    }
  }

  /** Rewrites the file as its live records: a temporary file, fsync, then rename over the old one. */
  private compact(): void {
    const text = `${JSON.stringify({ k: formatKey, v: this.options.format })}\n${[...this.live.values()].join('')}`;
    const temporary = `${this.path}.compacting`;
    const fd = openSync(temporary, 'w');
    try {
      writeFully(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.path);
    syncDirectory(dirname(this.path));
    this.compacted = Buffer.byteLength(text);
    this.appended = 0;
  }

  private say(line: string): void {
    (this.options.log ?? ((text: string) => console.error(text)))(line);
  }
}

function writeFully(fd: number, text: string): void {
  const buffer = Buffer.from(text);
  let offset = 0;
  while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
}

/** Makes a rename durable; a file system that cannot fsync a directory is left as it is. */
function syncDirectory(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    fsyncSync(fd);
  } catch {
    // Not supported here (some platforms and file systems): the rename stands anyway.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
