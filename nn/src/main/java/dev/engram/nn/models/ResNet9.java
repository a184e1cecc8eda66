package dev.engram.nn.models;

import dev.engram.nn.Sequential;
import dev.engram.nn.init.Seeds;
import dev.engram.nn.layers.AdaptiveMaxPool2d;
import dev.engram.nn.layers.ConvBn;
import dev.engram.nn.layers.Flatten;
import dev.engram.nn.layers.Linear;
import dev.engram.nn.layers.MaxPool2d;
import dev.engram.nn.layers.Residual;
import dev.engram.nn.layers.Scale;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The ResNet-9 that the memorization paper analyses (its {@code models.ResNet9}), a plain
 * {@code nn.Sequential}; {@code conv_bn} = Conv2d (no bias) → BatchNorm2d → ReLU ({@link ConvBn}):
 * <pre>
 * 0  conv_bn(C, 64, 3/1/1)                 6  conv_bn(256, 128, 3/1/0)
 * 1  conv_bn(64, 128, 5/2/2)               7  AdaptiveMaxPool2d(1)
 * 2  Residual(conv_bn 128, conv_bn 128)    8  Flatten
 * 3  conv_bn(128, 256, 3/1/1)              9  Linear(128, classes, no bias)
 * 4  MaxPool2d(2)                          10 Scale(0.2)
 * 5  Residual(conv_bn 256, conv_bn 256)
 * </pre>
 * State-dict names are the reference's: {@code 0.0.weight} (conv), {@code 0.1.weight}/{@code 0.1.bias}
 * (BN γ/β), {@code 0.1.running_mean}, {@code 2.module.0.0.weight}, ..., {@code 9.weight}.
 * 2,274,880 parameters for 3 input channels, 2,273,728 for 1. Works on 32x32 (spatial
 * 32→16→8→6) and 28x28 (28→14→7→5) inputs. {@code widthFactor} scales every width
 * (the reference's {@code fac}).
 *
 * <p>Taps ({@link #tapNames()}, forward order): each conv_bn output after its ReLU
 * ({@code 0.out, 1.out, 2.module.0.out, 2.module.1.out, 3.out, 5.module.0.out, 5.module.1.out,
 * 6.out}) and each residual sum ({@code 2.out, 5.out}). The six example-tied-dropout positions of
 * the paper are {@link #ETD_TAPS}: after conv1, conv2, the res1 output, conv3 (before the max-pool),
 * the res2 output and conv4 (before the global max-pool).
 */
public class ResNet9 extends Sequential implements HasLayerGroups, HasTaps {
    /** conv1, conv2, res1 output, conv3 (pre max-pool), res2 output, conv4 (pre global pool). */
    public static final List<String> ETD_TAPS = List.of("0.out", "1.out", "2.out", "3.out", "5.out", "6.out");
    /** The {@link #ETD_TAPS} by the paper's names: conv1, conv2, res1, conv3, res2, conv4. */
    public static final Map<String, String> ETD_POSITIONS = etdPositions();
    private static final List<String> TAPS = List.of("0.out", "1.out", "2.module.0.out", "2.module.1.out", "2.out", "3.out",
            "5.module.0.out", "5.module.1.out", "5.out", "6.out");
    /** Logit scale of the reference model. */
    public static final float LOGIT_SCALE = 0.2f;

    private final int[] widths;

    /** The paper's model: full width. */
    public ResNet9(int inChannels, int numClasses, long seed) {
        this(inChannels, numClasses, 1.0, seed);
    }

    /** Widths {@code 64, 128, 128, 128, 256, 256, 256, 128} times {@code widthFactor} (at least 1 each). */
    public ResNet9(int inChannels, int numClasses, double widthFactor, long seed) {
        if (inChannels <= 0 || numClasses <= 0 || !(widthFactor > 0)) {
            throw new IllegalArgumentException("ResNet9: invalid inChannels=" + inChannels + " numClasses=" + numClasses
                    + " widthFactor=" + widthFactor);
        }
        int[] base = {64, 128, 128, 128, 256, 256, 256, 128};
        widths = new int[base.length];
        for (int k = 0; k < base.length; k++) widths[k] = Math.max(1, (int) (base[k] * widthFactor));
        Seeds seeds = Seeds.of(seed);
        int[] d = widths;
        add(new ConvBn(inChannels, d[0], 3, 1, 1, seeds));
        add(new ConvBn(d[0], d[1], 5, 2, 2, seeds));
        add(new Residual(new Sequential(new ConvBn(d[1], d[2], seeds), new ConvBn(d[2], d[3], seeds))));
        add(new ConvBn(d[3], d[4], 3, 1, 1, seeds));
        add(new MaxPool2d(2));
        add(new Residual(new Sequential(new ConvBn(d[4], d[5], seeds), new ConvBn(d[5], d[6], seeds))));
        add(new ConvBn(d[6], d[7], 3, 1, 0, seeds));
        add(new AdaptiveMaxPool2d(1));
        add(new Flatten());
        add(new Linear(d[7], numClasses, false, seeds));
        add(new Scale(LOGIT_SCALE));
    }

    /**
     * The reference's nine groups: {@code conv1, conv2, res1.0, res1.1, conv3, res2.0, res2.1, conv4}
     * (each {conv weight, BN γ, BN β}) and {@code linear} (its weight).
     */
    @Override
    public LinkedHashMap<String, List<String>> layerGroups() {
        LinkedHashMap<String, List<String>> g = new LinkedHashMap<>();
        String[][] blocks = {{"conv1", "0"}, {"conv2", "1"}, {"res1.0", "2.module.0"}, {"res1.1", "2.module.1"}, {"conv3", "3"},
                {"res2.0", "5.module.0"}, {"res2.1", "5.module.1"}, {"conv4", "6"}};
        for (String[] b : blocks) g.put(b[0], List.of(b[1] + ".0.weight", b[1] + ".1.weight", b[1] + ".1.bias"));
        g.put("linear", List.of("9.weight"));
        return g;
    }

    @Override
    public List<String> tapNames() {
        return TAPS;
    }

    private static Map<String, String> etdPositions() {
        String[] names = {"conv1", "conv2", "res1", "conv3", "res2", "conv4"};
        Map<String, String> m = new LinkedHashMap<>();
        for (int k = 0; k < names.length; k++) m.put(names[k], ETD_TAPS.get(k));
        return Collections.unmodifiableMap(m);
    }

    /** Output channels of the eight conv_bn blocks in forward order. */
    public int[] widths() {
        return widths.clone();
    }
}
