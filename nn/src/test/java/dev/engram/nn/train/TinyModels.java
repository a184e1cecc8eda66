package dev.engram.nn.train;

import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.nn.Module;

/** Hand-written small modules for optimizer, checkpoint and trainer tests. */
public final class TinyModels {
    private TinyModels() {}

    /** {@code y = x W^T + b} with a deterministic scaled-normal initialization. */
    public static final class Dense extends Module {
        private final Tensor weight;
        private final Tensor bias;

        public Dense(int in, int out, long seed) {
            weight = registerParameter("weight", Tensor.randn(seed, out, in).mul((float) (1 / Math.sqrt(in))));
            bias = registerParameter("bias", Tensor.zeros(out));
        }

        @Override
        public Tensor forward(Tensor x) {
            return Functional.linear(x, weight, bias);
        }
    }

    /** Batch normalization over the features of {@code [N, C]}, with running statistics as buffers. */
    public static final class Norm extends Module {
        private final Tensor gamma;
        private final Tensor beta;
        private final Tensor runningMean;
        private final Tensor runningVar;

        public Norm(int channels) {
            gamma = registerParameter("weight", Tensor.ones(channels));
            beta = registerParameter("bias", Tensor.zeros(channels));
            runningMean = registerBuffer("running_mean", Tensor.zeros(channels));
            runningVar = registerBuffer("running_var", Tensor.ones(channels));
        }

        @Override
        public Tensor forward(Tensor x) {
            return Functional.batchNorm(x, gamma, beta, runningMean, runningVar, isTraining(), 0.1f, 1e-5f);
        }
    }

    /** {@code fc1 -> [bn] -> relu -> fc2}: parameters {@code fc1.weight, fc1.bias, (bn.*), fc2.weight, fc2.bias}. */
    public static final class Mlp extends Module {
        private final Dense fc1;
        private final Norm bn;
        private final Dense fc2;

        public Mlp(int in, int hidden, int out, boolean batchNorm, long seed) {
            fc1 = registerModule("fc1", new Dense(in, hidden, seed));
            bn = batchNorm ? registerModule("bn", new Norm(hidden)) : null;
            fc2 = registerModule("fc2", new Dense(hidden, out, seed + 1));
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor h = fc1.forward(x);
            if (bn != null) h = bn.forward(h);
            return fc2.forward(h.relu());
        }
    }
}
