// One input dispatcher for the whole screen: Ink's useInput feeding the pure handleInput(). F6
// (htop's "sort by") is a key Ink parses but does not pass on (useInput gives it as no input and
// no flag): it is taken from Ink's own stream of parsed sequences, the one useInput reads.
import { useEffect } from 'react';
import { useInput, useStdin } from 'ink';
import { useAppStoreApi } from '../store-context.js';
import { handleInput, isF6 } from '../keys.js';
import { useTerminalSize } from './use-terminal-size.js';

export function useKeys(onQuit: () => void): void {
  const store = useAppStoreApi();
  const size = useTerminalSize();
  const { internal_eventEmitter: events } = useStdin();
  useInput((input, key) => {
    if (handleInput(store.getState, input, key, size) === 'quit') onQuit();
  });
  useEffect(() => {
    const onRaw = (raw: string) => {
      if (isF6(raw)) handleInput(store.getState, raw, {}, size);
    };
    events?.on('input', onRaw);
    return () => {
      events?.off('input', onRaw);
    };
  }, [events, store, size]);
}
