// replay --slice: a range of a recording (a file or a directory of shards) written as a new,
// small recording — one file, one header, its records re-framed (each one's dictionary is the
// line before it in the slice) — to hand to someone else. Written as `record -o` writes
// (openRecordingFile: a new file 0600, never through a symbolic link). Without --anonymize the
// records' lines are the recorded ones, byte for byte; with it, each line is parsed, checked and
// passed through anonymizeLine (src/replay/anonymize.ts), and the header's host is a pseudonym.
import { closeSync, writeSync } from 'node:fs';
import type { Catalogue } from '../catalogue/catalogue.js';
import { openRecordingFile } from '../sinks/recorder.js';
import { anonymizeHeader, anonymizeLine, Pseudonyms } from './anonymize.js';
import { encodeHeader, RecordEncoder, type RecordingHeader } from './format.js';
import { checkRecord } from './validate.js';

export interface SliceResult {
  readonly records: number;
  readonly bytes: number;
  /** Distinct strings replaced (with --anonymize). */
  readonly pseudonyms: number;
}

/** Write `lines` (the slice's records, already checked) to `out` with `header`. Throws with one line (RecordingFileError, an errno). */
export function writeSlice(cat: Catalogue, header: RecordingHeader, lines: readonly string[], out: string, anonymize: boolean): SliceResult {
  const names = new Pseudonyms();
  const firstTime = lines.length ? /^\{"time":"([^"]{1,40})"/.exec(lines[0])?.[1] : undefined;
  let h: RecordingHeader = { ...header, start_time: firstTime ?? header.start_time };
  if (anonymize) h = anonymizeHeader(h, names);
  const enc = new RecordEncoder();
  const chunks: Buffer[] = [encodeHeader(h)];
  for (const line of lines) {
    if (!anonymize) {
      chunks.push(enc.encode(line));
      continue;
    }
    const c = checkRecord(cat, line);
    if (!c.ok) continue; // loadRecording kept only checked records: not reached
    chunks.push(enc.encode(JSON.stringify(anonymizeLine(cat, c.line, names))));
  }
  const buf = Buffer.concat(chunks);
  const fd = openRecordingFile(out);
  try {
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
  } finally {
    closeSync(fd);
  }
  return { records: lines.length, bytes: buf.length, pseudonyms: names.size };
}
