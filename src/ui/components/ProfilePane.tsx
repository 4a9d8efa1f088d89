// CPU profile: the interval's hottest on-CPU stacks with their share of the samples, as a tree
// of frames in a tall pane, else one path per line (root › … › leaf, the leaf always in view),
// t swaps the two; ↑/↓ select, Enter shows the selected
// stack's frames, Esc back; f steps the sampling frequency; w shows the last intervals merged;
// / filters by comm or pid.
import type React from 'react';
import { useMemo, useRef } from 'react';
import { Text } from 'ink';
import { useAppStore, useAppStoreApi } from '../store-context.js';
import type { PaneProps } from '../pane.js';
import { bodyRows, PaneFrame } from './PaneFrame.js';
import { TextLines } from './TextLines.js';
import { costInfo } from '../lines/cost.js';
import { frameLines, profileLines, profileTree } from '../lines/stack-lines.js';
import { paneSample, WINDOW_INTERVALS, type PaneId } from '../../store/store.js';
import type { ProbeHealth } from '../../probes/types.js';
import type { ProfileRow, ProfileSample } from '../../probes/profile-spec.js';
import { profileRowId } from '../../views/profile.js';

const OFF: ProbeHealth = { state: 'off' };

export function ProfilePane({ spec, width, height }: PaneProps): React.JSX.Element {
  const store = useAppStoreApi();
  const shown = useAppStore((s) => s.shown);
  const recent = useAppStore((s) => s.recent);
  const windowed = useAppStore((s) => s.windowed[spec.name] === true);
  const filter = useAppStore((s) => s.filters[spec.name] ?? '');
  // Merged and filtered anew only when one of its inputs changes (a selector must return a stable value).
  // biome-ignore lint/correctness/useExhaustiveDependencies: the store's slices it reads through getState() are the dependencies
  const sample = useMemo(() => paneSample(store.getState(), spec.name as PaneId) as ProfileSample | null, [store, shown, recent, windowed, filter, spec.name]);
  const editing = useAppStore((s) => s.filterEditing && s.focus === spec.name);
  const alt = useAppStore((s) => s.altView[spec.name] === true);
  const all = useAppStore((s) => s.health);
  const health = (all as Readonly<Record<string, ProbeHealth>>)[spec.name] ?? OFF;
  const focused = useAppStore((s) => s.focus === spec.name);
  // The raw cursor, clamped here to the rows shown (what cursorOf does, without building every row's id on each store update).
  const rawCursor = useAppStore((s) => s.cursor[spec.name] ?? 0);
  const detail = useAppStore((s) => (s.detail?.pane === spec.name ? s.detail.row : null));
  const pinned = useAppStore((s) => s.pinnedCpu);
  const intervalS = useAppStore((s) => s.shown?.interval_s ?? s.intervalS);
  const title = `${spec.title} ${pinned === null ? '(all CPUs)' : `(CPU ${pinned})`}${windowed ? ` last ${WINDOW_INTERVALS} intervals` : ''}${filter || editing ? ` /${filter}${editing ? '_' : ''}` : ''}`;
  // The stack opened with Enter, as last sampled: it stays on screen in intervals without it.
  // (Every hook before the first return: React counts them per render.)
  const opened = useRef<ProfileRow | null>(null);
  const frame = { title, info: costInfo(health, intervalS), toggleKey: spec.key ?? undefined, width, height, focused, health };
  if (!sample) {
    return (
      <PaneFrame {...frame}>
        <Text dimColor>waiting for the first interval…</Text>
      </PaneFrame>
    );
  }
  const cursor = Math.max(0, Math.min(rawCursor, sample.stacks.length - 1));
  const body = bodyRows(height);
  // A tall pane shows the tree of frames, a short one a path per line (the leaf in view); t swaps.
  const tree = body >= 15 !== alt;
  if (detail !== null) {
    const now = sample.stacks.find((r) => profileRowId(r) === detail) ?? null;
    if (now) opened.current = now;
    const row = now ?? (opened.current && profileRowId(opened.current) === detail ? opened.current : null);
    const head = now ? `${now.count} of ${sample.samples} samples` : 'no sample in this interval';
    const lines = row
      ? [{ text: `${row.comm}[${row.tgid}]: ${head} (Esc back)`, kind: 'heading' as const }, ...frameLines(row, width - 2, body - 1)]
      : [{ text: 'this stack has no sample in this interval (Esc back)', kind: 'dim' as const }];
    return (
      <PaneFrame {...frame}>
        <TextLines width={width - 2} lines={lines} />
      </PaneFrame>
    );
  }
  return (
    <PaneFrame {...frame}>
      <TextLines width={width - 2} lines={tree ? profileTree(sample, width - 2, body, -1, focused) : profileLines(sample, width - 2, body, cursor, focused)} />
    </PaneFrame>
  );
}
