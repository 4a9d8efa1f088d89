// A titled, bordered pane that says why its probe is not running when it is not.
import React from 'react';
import { Box, Text } from 'ink';
import type { ProbeHealth } from '../../store/store.js';

export interface PaneFrameProps {
  readonly title: string;
  readonly width: number;
  readonly height: number;
  readonly focused?: boolean;
  readonly health?: ProbeHealth;
  readonly children?: React.ReactNode;
}

export function PaneFrame({ title, width, height, focused, health, children }: PaneFrameProps): React.JSX.Element {
  const off = health && health.state !== 'running';
  return (
    <Box
      flexDirection="column"
      width={width}
      height={height}
      borderStyle="round"
      borderColor={focused ? 'cyan' : 'gray'}
      overflow="hidden"
    >
      <Text bold wrap="truncate">
        {title}
        {off ? <Text color={health.state === 'off' ? 'gray' : 'yellow'}> [{health.state}]</Text> : null}
      </Text>
      {off && health.state !== 'off' ? (
        <Text color="yellow" wrap="wrap">
          {health.reason ?? health.state}
        </Text>
      ) : null}
      {off && health.state === 'off' ? <Text dimColor>switched off (press its number key to switch it on)</Text> : null}
      {off ? null : children}
    </Box>
  );
}
