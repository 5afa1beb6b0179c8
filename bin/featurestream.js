#!/usr/bin/env node
// The `featurestream` command: registers the TypeScript loader (topologies are .ts files loaded
// without a build step), then runs the CLI from the sources.
import { register } from 'tsx/esm/api';

register();
await import(import.meta.resolve('../src/cli/main.ts'));
