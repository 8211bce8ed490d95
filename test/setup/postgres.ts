/**
 * One PostgreSQL server for the whole run: DATABASE_URL when set, otherwise
 * an embedded one in a fresh temp folder, deleted afterwards. Each test file
 * then creates a database of its own on it (see helpers/database.ts).
 */
import type { TestProject } from 'vitest/node';

import { startEmbeddedPostgres, temporaryDataDir } from '../../src/db/embedded.js';
import { createLogger } from '../../src/logger.js';

declare module 'vitest' {
  export interface ProvidedContext {
    serverUrl: string;
    serverKind: string;
  }
}

export default async function setup(project: TestProject) {
  const external = process.env.DATABASE_URL;
  if (external !== undefined && external !== '') {
    project.provide('serverUrl', external);
    project.provide('serverKind', 'DATABASE_URL');
    return;
  }

  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'warn' });
  const server = await startEmbeddedPostgres({
    dataDir: temporaryDataDir(),
    persistent: false,
    logger,
  });
  project.provide('serverUrl', server.url);
  project.provide('serverKind', 'embedded');

  return async () => {
    await server.stop();
  };
}
