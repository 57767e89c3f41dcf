#!/usr/bin/env node
import { createDataExportApp } from '../lib/data-export-app.js';
import { StageConfigError } from '../lib/stage-config.js';

// The CLI synthesises the app when this process exits; invalid context ends it with the list of
// offending keys instead of a stack trace.
try {
  createDataExportApp();
} catch (error) {
  if (!(error instanceof StageConfigError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
