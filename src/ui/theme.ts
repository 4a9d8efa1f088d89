// Colours follow the terminal, and NO_COLOR (https://no-color.org): when NO_COLOR is set to
// anything non-empty, no component passes a colour, and cli.ts also turns chalk's colour level
// to 0 so that no colour escape at all reaches the terminal.
import { createContext } from 'react';

export interface Theme {
  readonly color: boolean;
  /** Colour the focused pane's border (grid layout; with one pane shown, "▶" is enough). */
  readonly focusBorder?: boolean;
}

export function themeFromEnv(env: NodeJS.ProcessEnv): Theme {
  return { color: !(env.NO_COLOR !== undefined && env.NO_COLOR !== '') };
}

export const ThemeContext = createContext<Theme>({ color: true });
