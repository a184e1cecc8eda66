/**
 * The files of a run: JSON results written atomically ({@link dev.engram.memorization.io.Results}), RFC 4180 CSV
 * tables, and YAML or JSON files read into plain Java values.
 */
package dev.engram.memorization.io;
