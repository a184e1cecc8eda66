package dev.engram.nn.train;

import dev.engram.engine.Tensor;
import dev.engram.nn.Module;

/**
 * What a {@link StepListener} sees of one training iteration. Tensors belong to the step's
 * tensor scope and are freed when the step ends: copy and {@code retain()} anything kept.
 *
 * @param epoch        the epoch being trained (1-based; checkpoint {@code epoch} is written after it)
 * @param globalStep   index of this optimizer step over the whole run (0-based)
 * @param stepInEpoch  index of the batch within the epoch (0-based)
 * @param batch        the batch, moved to the model's device
 * @param logits       the model's output (graph alive until the trainer's backward)
 * @param loss         the scalar loss
 * @param model        the model (train mode)
 * @param learningRate the learning rate this step's update uses
 */
public record StepContext(int epoch, long globalStep, int stepInEpoch, LabeledBatch batch, Tensor logits, Tensor loss,
                          Module model, double learningRate) {}
