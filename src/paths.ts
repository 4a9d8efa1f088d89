// Where perfscope's own files are: src/ and dist/ are both one level below the package root.
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = fileURLToPath(new URL('../', import.meta.url));
