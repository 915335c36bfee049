/** JSON Pointer (RFC 6901) helpers for locating ajv errors in a document. */

/** The decoded segments of a pointer: `/a/b~1c` -> ["a", "b/c"]. */
export function segments(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** How many segments a pointer has. */
export function depth(pointer: string): number {
  return pointer === "" ? 0 : pointer.split("/").length - 1;
}

/** Whether `path` is `prefix` or lies below it. */
export function isUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}
