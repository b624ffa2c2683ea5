/**
 * Image references compared the way Swarm stores them: a deployed `name:tag` may come back as
 * `name:tag@sha256:…`, and a pinned digest is the identity of the image whatever tag is written.
 */
export interface ImageRef {
  readonly name: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

export function parseImage(reference: string): ImageRef {
  let rest = reference.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  // Docker Hub's implicit prefixes name the same repository as the short form.
  let name = rest.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '');
  if (name !== rest && !name.includes('/')) name = `library/${name}`;
  name = name.replace(/^library\//, '');
  return { name, tag, digest };
}

/** True when a service running `actual` already runs what `desired` asks for. */
export function imageMatches(desired: string, actual: string): boolean {
  const want = parseImage(desired);
  const have = parseImage(actual);
  if (want.name !== have.name) return false;
  if (want.digest !== undefined) return want.digest === have.digest;
  if (have.tag === undefined && have.digest !== undefined) return false;
  return (want.tag ?? 'latest') === (have.tag ?? 'latest');
}
