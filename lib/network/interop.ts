/**
 * The graphology packages are CommonJS with `export default` typings. Under NodeNext, TypeScript
 * types a default import of them as the module object (`{ default: fn }`), while at run time Node
 * hands over `module.exports` (the function itself). This helper returns the function in both cases.
 */
export function cjsDefault<T>(mod: { default: T }): T {
  const inner = (mod as { default?: T }).default;
  return inner ?? (mod as unknown as T);
}
