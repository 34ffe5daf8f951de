/**
 * A short fingerprint of a text, by which equal texts are found without keeping them:
 * the SHA-1 of its UTF-8, in base64. Every text plover reads was checked to hold no lone
 * surrogate (which UTF-8 would replace), so equal fingerprints mean equal texts, but for
 * a hash collision.
 */
import { hash } from 'node:crypto';

export const fingerprint = (text: string): string => hash('sha1', text, 'base64');
