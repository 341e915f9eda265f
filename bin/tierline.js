#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `npx tierline` works from a clean clone without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../scripts/cli.ts');
