// One input dispatcher for the whole screen: Ink's useInput feeding the pure handleKey().
import { useInput } from 'ink';
import { useAppStoreApi } from '../store-context.js';
import { handleKey } from '../keys.js';

export function useKeys(onQuit: () => void): void {
  const store = useAppStoreApi();
  useInput((input, key) => {
    if (handleKey(store.getState(), input, key) === 'quit') onQuit();
  });
}
