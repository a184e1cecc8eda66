/**
 * The {@code engram} command line on picocli: {@link dev.engram.memorization.cli.EngramCli} with one command class per
 * subcommand (doctor, train, import, the analyses, merge, report, sweep) and the option groups they share.
 */
package dev.engram.memorization.cli;
