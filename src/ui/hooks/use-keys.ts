// One input dispatcher for the whole screen: Ink's useInput feeding the pure handleInput().
import { useInput } from 'ink';
import { useAppStoreApi } from '../store-context.js';
import { handleInput } from '../keys.js';
import { useTerminalSize } from './use-terminal-size.js';

export function useKeys(onQuit: () => void): void {
  const store = useAppStoreApi();
  const size = useTerminalSize();
  useInput((input, key) => {
    if (handleInput(store.getState, input, key, size) === 'quit') onQuit();
  });
}
