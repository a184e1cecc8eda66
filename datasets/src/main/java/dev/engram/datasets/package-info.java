/** Readers for MNIST, CIFAR-10 and SVHN files, fetching with checksums, label noise and loaders. */
package dev.engram.datasets;
