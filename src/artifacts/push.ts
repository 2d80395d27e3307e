// Installs a verified artifact's files on a host over SSH. States are read in one round trip and
// only files whose hash, mode or owner differs are sent, each streamed from the cache, so pushing to
// a host that has them writes nothing.
import { readFileStates, uploadFile, type HostSession } from '../host/index.ts';
import type { Artifact } from './cache.ts';

/** Paths of the files written; empty when the host already had them all. */
export async function pushArtifact(session: HostSession, artifact: Artifact): Promise<string[]> {
  const states = await readFileStates(session, artifact.files.map((f) => f.path));
  const written: string[] = [];
  for (const [i, file] of artifact.files.entries()) {
    const result = await uploadFile(session, file, states[i]);
    if (result.changed) written.push(file.path);
  }
  return written;
}
