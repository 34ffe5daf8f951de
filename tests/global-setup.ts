// Builds the review site once before the tests that serve it (label server, browser), as
// `npm start` builds it: the production bundle.
import { buildSite } from './helpers/site-build.ts';

export default function setup() {
  buildSite(['--mode', 'serve']);
}
