package dev.engram.nn.models;

import dev.engram.engine.Tensor;
import dev.engram.nn.Module;
import dev.engram.nn.Sequential;
import dev.engram.nn.init.Init;
import dev.engram.nn.init.Seeds;
import dev.engram.nn.layers.ClassTokenEmbedding;
import dev.engram.nn.layers.Dropout;
import dev.engram.nn.layers.LayerNorm;
import dev.engram.nn.layers.Linear;
import dev.engram.nn.layers.ShiftedPatchTokenization;
import dev.engram.nn.layers.TransformerBlock;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The "ViT for small datasets" of the paper (its {@code models/vit_small.py}): shifted patch
 * tokenization, class token + learned position embedding, embedding dropout, {@code depth}
 * pre-norm blocks with locality self-attention and a GELU MLP, class-token pooling and a
 * LayerNorm + Linear head.
 *
 * <p>State-dict names are the reference's: {@code pos_embedding}, {@code cls_token},
 * {@code to_patch_embedding.to_patch_tokens.{1,2}.*}, {@code transformer.layers.i.0.norm.*},
 * {@code transformer.layers.i.0.fn.temperature}, {@code transformer.layers.i.0.fn.to_qkv.weight},
 * {@code transformer.layers.i.0.fn.to_out.0.*}, {@code transformer.layers.i.1.norm.*},
 * {@code transformer.layers.i.1.fn.net.{0,3}.*}, {@code mlp_head.{0,1}.*}.
 * {@link Config#paper(int, int)} has 9,628,296 parameters for 3x32x32 and 10 classes.
 *
 * <p>Taps, per block {@code i}: {@code transformer.layers.i.1.fn.hidden} (MLP neurons after GELU,
 * {@code [B, T, mlpDim]}) and {@code transformer.layers.i.out} ({@code [B, T, dim]}); the features
 * are on the last axis, so a neuron mask multiplies along it (not {@code Functional.mask}, which
 * masks axis 1).
 */
public class VisionTransformer extends Module implements HasLayerGroups, HasTaps {
    /**
     * Hyper-parameters.
     *
     * @param dimHead per-head width ({@code heads * dimHead} is the attention's inner width)
     * @param locality locality self-attention (learnable temperature, no self-attention to a token's own position)
     */
    public record Config(int imageSize, int patch, int channels, int classes, int dim, int depth, int heads, int dimHead,
                         int mlpDim, float dropout, float embDropout, boolean locality) {
        /**
         * Validates: {@code imageSize} must be a positive multiple of {@code patch} and every size positive, else
         * {@link IllegalArgumentException}.
         */
        public Config {
            if (imageSize <= 0 || patch <= 0 || imageSize % patch != 0) {
                throw new IllegalArgumentException("VisionTransformer: image size " + imageSize + " must be a positive multiple of patch " + patch);
            }
            if (channels <= 0 || classes <= 0 || dim <= 0 || depth <= 0 || heads <= 0 || dimHead <= 0 || mlpDim <= 0) {
                throw new IllegalArgumentException("VisionTransformer: sizes must be positive in " + this);
            }
        }

        /** The paper's: patch 2, dim 512, depth 6, 8 heads x 64, MLP 512, dropout 0.1 (32 for CIFAR/SVHN, 28 for MNIST), 10 classes. */
        public static Config paper(int channels, int imageSize) {
            return paper(channels, imageSize, 10);
        }

        /** The paper's architecture with another number of classes. */
        public static Config paper(int channels, int imageSize, int classes) {
            return new Config(imageSize, 2, channels, classes, 512, 6, 8, 64, 512, 0.1f, 0.1f, true);
        }

        /** A small variant for tests and quick runs: dim 32, depth 2, 2 heads x 16, MLP 64. */
        public static Config tiny(int channels, int imageSize, int patch, int classes) {
            return new Config(imageSize, patch, channels, classes, 32, 2, 2, 16, 64, 0.1f, 0.1f, true);
        }

        /** Number of patch tokens (the class token not counted). */
        public int patches() {
            return (imageSize / patch) * (imageSize / patch);
        }
    }

    /** The block container, registered as {@code transformer} with the blocks under {@code layers}. */
    private static final class Encoder extends Module {
        private final Sequential layers;

        Encoder(Config c, Seeds seeds) {
            layers = registerModule("layers", new Sequential());
            for (int i = 0; i < c.depth(); i++) {
                layers.add(new TransformerBlock(c.dim(), c.heads(), c.dimHead(), c.mlpDim(), c.dropout(), c.locality(), seeds));
            }
        }

        @Override
        public Tensor forward(Tensor x) {
            return layers.forward(x);
        }
    }

    private final Config config;
    private final Tensor posEmbedding, clsToken;
    private final ShiftedPatchTokenization toPatchEmbedding;
    private final Dropout dropout;
    private final Encoder transformer;
    private final Sequential mlpHead;

    /**
     * A model with the hyper-parameters of {@code config}, its parameters and dropout seeds drawn from the seed stream
     * of {@code seed}.
     */
    public VisionTransformer(Config config, long seed) {
        this.config = config;
        Seeds seeds = Seeds.of(seed);
        posEmbedding = registerParameter("pos_embedding", Init.normal(seeds.next(), 1f, 1, config.patches() + 1, config.dim()));
        clsToken = registerParameter("cls_token", Init.normal(seeds.next(), 1f, 1, 1, config.dim()));
        toPatchEmbedding = registerModule("to_patch_embedding",
                new ShiftedPatchTokenization(config.channels(), config.patch(), config.dim(), seeds));
        dropout = registerModule("dropout", new Dropout(config.embDropout(), seeds.next()));
        transformer = registerModule("transformer", new Encoder(config, seeds));
        mlpHead = registerModule("mlp_head", new Sequential(new LayerNorm(config.dim()), new Linear(config.dim(), config.classes(), true, seeds)));
    }

    @Override
    public Tensor forward(Tensor img) {
        int[] s = img.shape();
        if (s.length != 4 || s[1] != config.channels() || s[2] != config.imageSize() || s[3] != config.imageSize()) {
            throw new IllegalArgumentException("VisionTransformer: expected input [B, " + config.channels() + ", " + config.imageSize()
                    + ", " + config.imageSize() + "], got " + java.util.Arrays.toString(s));
        }
        Tensor x = toPatchEmbedding.forward(img);
        x = dropout.forward(ClassTokenEmbedding.apply(x, clsToken, posEmbedding));
        x = transformer.forward(x);
        Tensor cls = x.slice(1, 0, 1).reshape(s[0], config.dim());
        return mlpHead.forward(cls);
    }

    /**
     * The reference's eight groups (for depth 6): {@code patch_embedding} (SPT norm + projection,
     * plus — as in the reference list — block 0's attention-norm weight, which block0 also holds),
     * {@code block0..block5} (norms, temperature, qkv, out-projection, MLP) and {@code head}.
     * Position embedding and class token belong to no group.
     */
    @Override
    public LinkedHashMap<String, List<String>> layerGroups() {
        LinkedHashMap<String, List<String>> g = new LinkedHashMap<>();
        String spt = "to_patch_embedding.to_patch_tokens.";
        g.put("patch_embedding", List.of(spt + "1.weight", spt + "1.bias", spt + "2.weight", spt + "2.bias",
                "transformer.layers.0.0.norm.weight"));
        for (int i = 0; i < config.depth(); i++) {
            String p = "transformer.layers." + i + ".";
            List<String> names = new ArrayList<>(List.of(p + "0.norm.weight", p + "0.norm.bias"));
            if (config.locality()) names.add(p + "0.fn.temperature");
            names.addAll(List.of(p + "0.fn.to_qkv.weight", p + "0.fn.to_out.0.weight", p + "0.fn.to_out.0.bias",
                    p + "1.norm.weight", p + "1.norm.bias", p + "1.fn.net.0.weight", p + "1.fn.net.0.bias",
                    p + "1.fn.net.3.weight", p + "1.fn.net.3.bias"));
            g.put("block" + i, List.copyOf(names));
        }
        g.put("head", List.of("mlp_head.0.weight", "mlp_head.0.bias", "mlp_head.1.weight", "mlp_head.1.bias"));
        return g;
    }

    @Override
    public List<String> tapNames() {
        List<String> t = new ArrayList<>();
        for (int i = 0; i < config.depth(); i++) {
            t.add("transformer.layers." + i + ".1.fn.hidden");
            t.add("transformer.layers." + i + ".out");
        }
        return t;
    }

    /** The hyper-parameters the model was built with. */
    public Config config() {
        return config;
    }
}
