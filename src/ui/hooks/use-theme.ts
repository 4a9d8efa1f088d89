// c('green') is 'green' when colours are on and undefined under NO_COLOR.
import { useContext } from 'react';
import { ThemeContext } from '../theme.js';

export type Tint = (color: string) => string | undefined;

/** Is the focused pane's border coloured (several panes shown, colours on)? */
export function useFocusBorder(): boolean {
  const t = useContext(ThemeContext);
  return t.color && t.focusBorder === true;
}

export function useTheme(): Tint {
  const t = useContext(ThemeContext);
  return (color: string) => (t.color ? color : undefined);
}
