// @isomorphic-git/cors-proxy ships no types: its request handler, as index.js exports it.
declare module '@isomorphic-git/cors-proxy' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  export default function handleRequest(req: IncomingMessage, res: ServerResponse, next?: () => unknown): void;
}
