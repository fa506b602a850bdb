/** Receives one line (without its `\n` / `\r\n`) and its 1-based line number. */
export type LineHandler = (line: string, lineNo: number) => void;

/**
 * Incremental line splitter: text arrives in chunks of any size (a file stream, a test
 * string) and complete lines come out with their 1-based numbers, so parsers can name the
 * offending line and large files never need to sit in one string. Handles `\n` and `\r\n`
 * (also when a chunk ends between `\r` and `\n`) and strips a UTF-8 BOM on line 1.
 *
 * @example
 * const s = new LineSplitter((line, n) => console.log(n, line));
 * s.push('a\r\nb'); s.push('\nc'); s.end(); // 1 a, 2 b, 3 c
 */
export class LineSplitter {
  private rest = '';
  private lineNo = 0;

  constructor(private readonly onLine: LineHandler) {}

  push(chunk: string): void {
    const text = this.rest.length > 0 ? this.rest + chunk : chunk;
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      this.emit(text.slice(start, nl));
      start = nl + 1;
    }
    this.rest = text.slice(start);
  }

  /** Flushes a last line that has no trailing newline. */
  end(): void {
    if (this.rest.length > 0) this.emit(this.rest);
    this.rest = '';
  }

  private emit(raw: string): void {
    this.lineNo++;
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (this.lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    this.onLine(line, this.lineNo);
  }
}

/**
 * Runs `onLine` over every line of an in-memory text.
 *
 * @example
 * forEachLine('x\ny\n', (line, n) => rows.push([n, line])); // [[1,'x'],[2,'y']]
 */
export function forEachLine(text: string, onLine: LineHandler): void {
  const splitter = new LineSplitter(onLine);
  splitter.push(text);
  splitter.end();
}
