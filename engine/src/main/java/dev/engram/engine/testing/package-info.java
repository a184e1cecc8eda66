/**
 * Test support for code built on the engine: {@link dev.engram.engine.testing.GradCheck} compares analytic gradients
 * with central finite differences.
 */
package dev.engram.engine.testing;
