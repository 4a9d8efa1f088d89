// The fleet screen (perfscope fleet): a header (the Prometheus, the window, the hosts shown), the
// table (fleet-lines.ts), and a status line: the last refresh's time, or why it failed (a
// Prometheus that is down or slow: one line, in yellow, and the refreshes go on), or the filter
// being typed. Enter leaves the screen for `perfscope --connect` to the selected host (a child
// process on the same terminal) and comes back when it quits. The frame is drawn as the live
// screen's is (alternate screen, frame-diffing writer, every byte through the terminal guard).
import type React from 'react';
import { Box, render, Text, useInput } from 'ink';
import { useStore } from 'zustand';
import { FLEET_KEYS, fleetKey, fleetTable } from './fleet-lines.js';
import { frameDiffingStdout } from './frame-writer.js';
import { installOutputStage } from './output-stage.js';
import { guardTerminal } from '../sinks/terminal.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { safe } from './safe.js';
import { type FleetStore, selectedRow, shownRows } from '../fleet/store.js';

const ENTER_ALT = '\x1b[?1049h\x1b[H';
const LEAVE_ALT = '\x1b[?25h\x1b[?1049l';

function clock(iso: string | undefined): string {
  return iso ? iso.slice(11, 19) : '--:--:--';
}

function FleetApp({ store, onQuit, onConnect }: { store: FleetStore; onQuit: () => void; onConnect: (url: string) => void }): React.JSX.Element {
  const st = useStore(store);
  const { columns: width, rows: height } = useTerminalSize();
  useInput((input, key) => {
    const s = store.getState();
    const r = fleetKey(s, input, key);
    if (r === 'quit') onQuit();
    else if (r === 'connect') {
      const row = selectedRow(s);
      if (row?.stream) onConnect(row.stream);
    }
  });
  const rows = shownRows(st);
  const total = st.snapshot?.rows.length ?? 0;
  const head = `perfscope fleet ${st.prometheus} │ ${st.hostLabel} │ window ${st.windowS}s │ every ${st.intervalS}s │ ${rows.length}${rows.length !== total ? `/${total}` : ''} hosts${st.filter ? ` │ filter ${st.filter}` : ''}`;
  const body = Math.max(1, height - 3);
  const cursor = Math.min(st.cursor, Math.max(0, rows.length - 1));
  const top = Math.max(0, Math.min(cursor - body + 1, rows.length - body));
  const start = Math.max(0, Math.min(top, cursor));
  const table = fleetTable(rows.slice(start, start + body), st.sort, st.desc, width);
  let status: React.JSX.Element;
  if (st.filterEditing) {
    status = (
      <Text wrap="truncate">
        <Text bold>filter (Enter ends, Esc clears): </Text>
        {safe(st.filter)}
        <Text inverse> </Text>
      </Text>
    );
  } else if (st.error !== null) {
    status = (
      <Text wrap="truncate" color="yellow">
        {safe(st.error)}
      </Text>
    );
  } else if (st.notice !== null) {
    status = (
      <Text wrap="truncate" color="yellow">
        {safe(st.notice)}
      </Text>
    );
  } else {
    const errs = st.snapshot?.errors.length ? ` │ ${st.snapshot.errors.length} queries failed: ${st.snapshot.errors[0]}` : '';
    status = (
      <Text wrap="truncate" dimColor>
        {safe(
          `${st.snapshot ? `updated ${clock(st.snapshot.time)}` : st.loading ? 'asking Prometheus…' : 'waiting'}${errs} │ q quit ? help < > sort / filter Enter connect`,
        )}
      </Text>
    );
  }
  if (st.helpOpen) {
    return (
      <Box flexDirection="column" width={width} height={height}>
        <Text bold wrap="truncate">
          perfscope fleet: keys (? or Esc closes)
        </Text>
        {FLEET_KEYS.map(([k, v]) => (
          <Text key={k} wrap="truncate">
            {`${k.padEnd(14)} ${v}`}
          </Text>
        ))}
      </Box>
    );
  }
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold color="cyan" wrap="truncate">
        {safe(head)}
      </Text>
      <Text bold inverse wrap="truncate">
        {table.title}
      </Text>
      <Box flexDirection="column" height={body}>
        {table.lines.length === 0 ? (
          <Text dimColor wrap="truncate">
            {st.snapshot ? (st.filter ? 'no host matches the filter' : 'no perfscope instance in this Prometheus (perfscope_intervals_total)') : ''}
          </Text>
        ) : (
          table.lines.map((l, i) => (
            <Text key={`${start + i}`} inverse={start + i === cursor} wrap="truncate">
              {l}
            </Text>
          ))
        )}
      </Box>
      <Box width={width}>{status}</Box>
    </Box>
  );
}

/** The TTY handle under process.stdin (Node's internal; reading is how net.Socket tracks it). Hand-written: Node offers no public way to stop reading a TTY without closing it. */
function stdinHandle(): { reading?: boolean; readStop?: () => number; readStart?: () => number } | undefined {
  return (process.stdin as unknown as { _handle?: { reading?: boolean; readStop?: () => number; readStart?: () => number } })._handle;
}

/**
 * Draw the fleet screen; returns what restores the terminal. `onConnect(url)` runs the remote
 * screen: this screen is taken down meanwhile and drawn again after it.
 */
export async function startFleetScreen(
  store: FleetStore,
  onQuit: () => void,
  onError: (e: unknown) => void,
  onConnect: (url: string) => Promise<void>,
): Promise<() => void> {
  await installOutputStage();
  const out = process.stdout;
  guardTerminal(out);
  guardTerminal(process.stderr);
  let ink: ReturnType<typeof render> | null = null;
  let done = false;
  const mount = () => {
    // Back from a remote screen: read the terminal again (stopReading stopped the handle under
    // the stream, whose own state still says a read is under way, so it would not restart it).
    const h = stdinHandle();
    if (h && h.reading === false && h.readStart) {
      h.reading = true;
      h.readStart();
    }
    out.write(ENTER_ALT);
    const inst = render(
      <FleetApp
        store={store}
        onQuit={onQuit}
        onConnect={(url) => {
          // Ink's own clean-up (raw mode off) must be over before the child sets raw mode on the
          // same terminal, or it would find the terminal cooked and get no key before Enter.
          const inst = ink;
          unmount();
          void (inst ? inst.waitUntilExit().catch(() => {}) : Promise.resolve())
            .then(() => new Promise((r) => setTimeout(r, 50)))
            .then(() => {
              stopReading();
              return onConnect(url);
            })
            .then(
              () => {
                if (!done) mount();
              },
              (e: unknown) => onError(e),
            );
        }}
      />,
      { stdout: frameDiffingStdout(out), exitOnCtrlC: false, patchConsole: false, maxFps: 4 },
    );
    ink = inst;
    inst.waitUntilExit().then(
      () => {
        if (!done && ink === inst) onQuit();
      },
      (e: unknown) => onError(e),
    );
  };
  /** Stop reading the terminal at all (Ink leaves the handle reading): the remote screen, a child on the same terminal, must get every key. Ink reads again when it is drawn. */
  const stopReading = () => {
    try {
      if (process.stdin.isTTY) process.stdin.setRawMode(false);
    } catch {
      /* not a TTY any more */
    }
    process.stdin.pause();
    const h = stdinHandle();
    if (h?.reading && h.readStop) {
      h.reading = false;
      h.readStop();
    }
  };
  const unmount = () => {
    const inst = ink;
    ink = null;
    try {
      inst?.unmount();
    } catch {
      /* restoring anyway */
    }
    try {
      if (process.stdin.isTTY) process.stdin.setRawMode(false);
    } catch {
      /* not a TTY any more */
    }
    try {
      out.write(LEAVE_ALT);
    } catch {
      /* hang-up */
    }
  };
  mount();
  return () => {
    if (done) return;
    done = true;
    unmount();
  };
}
