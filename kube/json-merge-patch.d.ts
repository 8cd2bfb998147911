// The json-merge-patch package ships no types: the functions the plugin (generate) and the tests' API servers (apply) call.
declare module 'json-merge-patch' {
  /** The RFC 7386 merge patch that turns `before` into `after`; undefined when they are equal. */
  export function generate(before: unknown, after: unknown): unknown;
  /** `target` with the merge patch applied (changed in place where it is an object). */
  export function apply<T>(target: T, patch: unknown): T;
}
