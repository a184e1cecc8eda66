/** Tensors, define-by-run autograd, the backend SPI and the pure-Java CPU backend. */
package dev.engram.engine;
