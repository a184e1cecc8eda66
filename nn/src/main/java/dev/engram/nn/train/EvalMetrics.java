package dev.engram.nn.train;

/**
 * Evaluation of a model on one data source.
 *
 * @param loss     mean loss per example
 * @param accuracy fraction of examples whose arg-max prediction equals the label
 * @param examples number of examples evaluated
 */
public record EvalMetrics(double loss, double accuracy, long examples) {}
