/**
 * The models of the study: {@link dev.engram.nn.models.Mlp}, {@link dev.engram.nn.models.SmallCnn},
 * {@link dev.engram.nn.models.ResNet9} (and the DAWNBench {@link dev.engram.nn.models.ResNet9Dawn}),
 * {@link dev.engram.nn.models.ResNet50} and {@link dev.engram.nn.models.VisionTransformer}, with
 * PyTorch state-dict names, layer groups and named activation taps.
 */
package dev.engram.nn.models;
