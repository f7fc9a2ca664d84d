#!/usr/bin/env node
// Launcher: runs cli/main.ts through tsx's loader (scoped to this import), then exits with its code.
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('./main.ts', {
  parentURL: import.meta.url,
  tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)),
});
process.exit(await main(process.argv.slice(2)));
