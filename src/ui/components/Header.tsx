// Host, kernel, uptime, load, CPUs, pinned CPU, interval, live or paused (or a replay's time and
// position): from the store only.
import type React from 'react';
import { Box } from 'ink';
import { useAppStore } from '../store-context.js';
import { fromSpec, sampleOf } from '../../catalogue/catalogue.js';
import { headerText } from '../lines/header.js';
import { safe } from '../safe.js';
import { FittedRow } from './FittedRow.js';
import { useTheme } from '../hooks/use-theme.js';

export function Header({ width }: { readonly width: number }): React.JSX.Element {
  const host = useAppStore((s) => s.host);
  const pinned = useAppStore((s) => s.pinnedCpu);
  const interval = useAppStore((s) => s.intervalS);
  const replay = useAppStore((s) => s.replay);
  const remote = useAppStore((s) => s.remote);
  const paused = useAppStore((s) => (s.replay ? s.replay.paused : s.paused));
  const time = useAppStore((s) => s.shown?.time ?? null);
  const cat = useAppStore((s) => s.catalogue);
  const shown = useAppStore((s) => s.shown);
  // The load averages come from whichever probe's spec gives header facts (the /proc counters).
  let load: readonly [number, number, number] | null = null;
  for (const spec of cat) {
    const sample = shown && spec.header ? sampleOf(shown, spec.name) : null;
    const header = spec.header;
    load = (sample !== null && header ? fromSpec(() => header(sample).load, undefined) : undefined) ?? load;
  }
  const c = useTheme();
  const uptimeS = time !== null && host.bootTimeMs !== undefined ? (Date.parse(time) - host.bootTimeMs) / 1000 : null;
  const h = headerText(
    {
      hostname: safe(host.hostname),
      kernel: safe(host.kernel),
      uptimeS,
      load,
      cpus: shown?.online_cpus ?? host.cpus,
      isolated: host.isolated,
      pinned,
      intervalS: interval,
      paused,
      replay,
      remote,
    },
    width,
  );
  const gap = Math.max(1, width - h.left.length - h.right.length);
  const [pin, iv, live] = h.right.split(' │ ');
  return (
    <Box width={width}>
      <FittedRow
        width={width}
        segments={[
          { text: h.left, bold: true, color: c('cyan') },
          { text: ' '.repeat(gap) },
          { text: pin, bold: true },
          { text: ` │ ${iv} │ ` },
          paused || (remote && !remote.connected) ? { text: live, inverse: true, bold: true, color: c('yellow') } : { text: live, color: c('green') },
        ]}
      />
    </Box>
  );
}
