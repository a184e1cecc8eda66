/** The research layer: experiments and the analyses of Maini et al. (ICML 2023), with the CLI. */
package dev.engram.memorization;
