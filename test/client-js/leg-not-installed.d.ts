// Types for `@mastra/client-js` before the Node 22 leg is installed (`node scripts/node22.mjs install`
// puts the real package, and its types, in test/node22/node_modules).
export declare const MastraClient: any
export type MastraClient = any
