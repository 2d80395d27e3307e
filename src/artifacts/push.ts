// Installs a verified artifact's files on a host over SSH. States are read in one round trip and
// only files whose hash or mode differs are sent, so pushing to a host that has them writes nothing.
import { readFile } from 'node:fs/promises';
import { readFileStates, writeFile, type HostSession } from '../host/index.ts';
import type { Artifact } from './cache.ts';

/** Paths of the files written; empty when the host already had them all. */
export async function pushArtifact(session: HostSession, artifact: Artifact): Promise<string[]> {
  const states = await readFileStates(session, artifact.files.map((f) => f.path));
  const written: string[] = [];
  for (const [i, file] of artifact.files.entries()) {
    const state = states[i]!;
    if (state.exists && state.sha256 === file.sha256 && state.mode === file.mode && state.owner === 'root' && state.group === 'root') continue;
    // The content is read from the cache only for a file that is actually sent.
    const content = await readFile(file.localPath);
    const result = await writeFile(session, { path: file.path, content, mode: file.mode }, state);
    if (result.changed) written.push(file.path);
  }
  return written;
}
