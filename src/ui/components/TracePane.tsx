// Tracepoints attached with --trace or +: one row each (rate, count, name, BPF cost per run, top
// tasks), ↑/↓ select, - removes the selected one; the selected row's histogram when it has a
// field; while the + prompt is open, the prompt and its completions at the bottom.
import type React from 'react';
import { Text } from 'ink';
import { useAppStore } from '../store-context.js';
import { sampleOf } from '../../catalogue/catalogue.js';
import type { PaneProps } from '../pane.js';
import { bodyRows, PaneFrame } from './PaneFrame.js';
import { HBars } from './HBars.js';
import { costInfo } from '../lines/cost.js';
import { traceLines } from '../lines/trace-lines.js';
import { cursorOf, sortOf, type PaneId } from '../../store/store.js';
import type { ProbeHealth } from '../../probes/types.js';
import type { TraceSample } from '../../probes/trace-spec.js';
import { safe } from '../safe.js';
import { FittedRow } from './FittedRow.js';
import { ArgsPromptView, promptLines } from './ArgsPromptView.js';

const OFF: ProbeHealth = { state: 'off' };

export function TracePane({ spec, width, height }: PaneProps): React.JSX.Element {
  const shown = useAppStore((s) => s.shown);
  const all = useAppStore((s) => s.health);
  const health = (all as Readonly<Record<string, ProbeHealth>>)[spec.name] ?? OFF;
  const focused = useAppStore((s) => s.focus === spec.name);
  const cursor = useAppStore((s) => cursorOf(s, spec.name as PaneId));
  const prompt = useAppStore((s) => (s.argsPrompt?.probe === spec.name ? s.argsPrompt : null));
  const pinned = useAppStore((s) => s.pinnedCpu);
  const intervalS = useAppStore((s) => s.shown?.interval_s ?? s.intervalS);
  const sort = useAppStore((s) => sortOf(s, spec.name as PaneId));
  const title = `${spec.title} ${pinned === null ? '(all CPUs)' : `(CPU ${pinned})`}`;
  const frame = { title, info: costInfo(health, intervalS), toggleKey: spec.key ?? undefined, width, height, focused, health };
  const inner = Math.max(1, width - 2);
  const body = Math.max(1, bodyRows(height) - promptLines(prompt));
  const sample = shown ? (sampleOf(shown, spec.name) as TraceSample | null) : null;
  const promptView = prompt ? <ArgsPromptView args={spec.args} prompt={prompt} /> : null;
  if (!sample || sample.tracepoints.length === 0) {
    const msg =
      health.state === 'running' || health.state === 'off'
        ? `no tracepoint attached: + adds one (Tab completes), or start with --${spec.args?.flag ?? ''} ${spec.args?.metavar ?? ''}`
        : '';
    return (
      <PaneFrame {...frame}>
        <Text dimColor wrap="truncate">
          {msg}
        </Text>
        {promptView}
      </PaneFrame>
    );
  }
  const lines = traceLines(sample, cursor, inner, body, sort);
  return (
    <PaneFrame {...frame}>
      <FittedRow width={inner} segments={[{ text: lines.header, bold: true }]} />
      {lines.rows.map((r, i) => (
        <FittedRow key={i} width={inner} segments={[{ text: safe(r.text), inverse: r.selected && focused }]} />
      ))}
      {lines.hist ? (
        <>
          <FittedRow width={inner} segments={[{ text: safe(lines.hist.heading), bold: true }]} />
          <HBars rows={lines.hist.bars} width={inner} />
        </>
      ) : null}
      {promptView}
    </PaneFrame>
  );
}
