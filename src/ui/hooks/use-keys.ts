// One input dispatcher for the whole screen: Ink's useInput feeding the pure handleInput().
import { useInput } from 'ink';
import { useAppStoreApi } from '../store-context.js';
import { handleInput } from '../keys.js';

export function useKeys(onQuit: () => void): void {
  const store = useAppStoreApi();
  useInput((input, key) => {
    if (handleInput(store.getState, input, key) === 'quit') onQuit();
  });
}
