package dev.engram.memorization.train;

import dev.engram.datasets.TrainTest;
import dev.engram.engine.Tensor;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.rewind.LayerTestSupport;
import dev.engram.memorization.rho.RhoLossSelection;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.run.TrainingMethods;
import dev.engram.nn.Module;
import dev.engram.nn.init.Seeds;
import dev.engram.nn.models.Mlp;
import dev.engram.nn.optim.Sgd;
import dev.engram.nn.train.BatchSource;
import dev.engram.nn.train.LabeledBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each training method through the training run, and the selection and re-initialization rules by hand. */
class MethodTrainingTest {
    @TempDir
    Path tmp;

    @Test
    void everyMethodTrainsARunAndKeepsItsConfig() throws Exception {
        TrainTest data = LayerTestSupport.data();
        TrainingMethods s = TrainingMethods.STANDARD;
        Map<String, TrainingMethods> methods = Map.of(
                "sce", s.toBuilder().sce(0.1, 1.0).build(),
                "sam", s.toBuilder().sam(0.05, true).build(),
                "jocor", s.toBuilder().jocor(true, 0.9, 0.2, 2).build(),
                "rho", s.toBuilder().rhoLoss(true, 3, 1).build(),
                "dropout-reinit", s.toBuilder().dropout(0.3).reinit("fc1", 1, 0, "bottom-up").build());
        for (var e : methods.entrySet()) {
            ExperimentConfig cfg = LayerTestSupport.config(2, 0.2).toBuilder().methods(e.getValue()).build();
            RunFolder run = TrainingRun.create(tmp.resolve(e.getKey()), cfg, data.train(), List.of("test"));
            List<TrainingRun.EpochStats> stats = TrainingRun.train(RunData.of(run, DataSource.of(data)), TrainingRun.Listener.NONE);
            assertThat(stats).as(e.getKey()).hasSize(3);
            for (int k = 1; k <= 2; k++) assertThat(stats.get(k).trainLoss()).as(e.getKey()).isFinite();
            assertThat(RunFolder.open(run.dir()).config().methods()).isEqualTo(e.getValue());
            RunData reopened = RunData.of(RunFolder.open(run.dir()), DataSource.of(data));
            Module m = reopened.modelAt(2); // the checkpoint fits the run's model (two networks for JoCoR)
            if (e.getKey().equals("jocor")) assertThat(m.namedParameters()).containsKeys("net1.1.weight", "net2.1.weight");
        }
        // one method changes training: SAM's weights differ from plain training's after the same batches
        RunFolder plain = TrainingRun.create(tmp.resolve("plain"), LayerTestSupport.config(1, 0.2), data.train(), List.of("t"));
        TrainingRun.train(RunData.of(plain, DataSource.of(data)), TrainingRun.Listener.NONE);
        RunFolder sam = TrainingRun.create(tmp.resolve("sam-only"), LayerTestSupport.config(1, 0.2).toBuilder()
                .methods(s.toBuilder().sam(0.05, false).build()).build(), data.train(), List.of("t"));
        TrainingRun.train(RunData.of(sam, DataSource.of(data)), TrainingRun.Listener.NONE);
        float[] a = RunData.of(plain, DataSource.of(data)).modelAt(1).namedParameters().get("1.weight").toFloatArray();
        float[] b = RunData.of(sam, DataSource.of(data)).modelAt(1).namedParameters().get("1.weight").toFloatArray();
        assertThat(Arrays.equals(a, b)).isFalse();
    }

    /** A "model" whose logits are its inputs, so that training losses are known. */
    private static final class Identity extends Module {
        Identity() {
            registerParameter("unused", Tensor.zeros(1).requiresGrad(true));
        }

        @Override
        public Tensor forward(Tensor x) {
            return x;
        }
    }

    @Test
    void rhoLossKeepsTheHighestReducibleLossByHand() {
        // 4 examples, 2 classes; logits chosen so that the training losses are log(1+e^-d)
        float[] logits = {2, 0, 0, 2, 0, 0, 3, 0};
        int[] labels = {0, 0, 1, 1};
        int[] ids = {0, 1, 2, 3};
        double[] il = {0.0, 5.0, 0.0, 0.0};
        double[] loss = new double[4];
        for (int i = 0; i < 4; i++) {
            double z0 = logits[2 * i], z1 = logits[2 * i + 1];
            double zy = labels[i] == 0 ? z0 : z1;
            loss[i] = Math.log(Math.exp(z0) + Math.exp(z1)) - zy;
        }
        // reducible: 0.127, 2.127 - 5 < 0, 0.693, 3.049: keep ids 3 and 2
        assertThat(loss[3] - il[3]).isGreaterThan(loss[2] - il[2]);
        assertThat(loss[2] - il[2]).isGreaterThan(loss[0] - il[0]);
        LabeledBatch big = new LabeledBatch(Tensor.of(logits, 4, 2), Tensor.ofInts(labels, 4), ids);
        BatchSource one = new BatchSource() {
            @Override public Iterable<LabeledBatch> epoch(int epoch) {
                return List.of(big);
            }

            @Override public int batchesPerEpoch() {
                return 1;
            }
        };
        RhoLossSelection sel = new RhoLossSelection(one, 2, 3, il, new Identity());
        LabeledBatch kept = sel.select(big);
        assertThat(kept.exampleIds()).containsExactly(2, 3);
        assertThat(kept.labels().toIntArray()).containsExactly(1, 1);
        assertThat(kept.inputs().toFloatArray()).containsExactly(0, 0, 3, 0);
        List<LabeledBatch> epoch = new ArrayList<>();
        sel.epoch(0).forEach(epoch::add);
        assertThat(epoch).hasSize(3); // factor 3: as many steps as plain training
        assertThat(sel.batchesPerEpoch()).isEqualTo(3);
        assertThatThrownBy(() -> new RhoLossSelection(one, 2, 3, new double[] {0}, new Identity()).select(big))
                .hasMessageContaining("example id 1");
    }

    @Test
    void reinitializationResetsTheChosenGroupsAndTheirMomentum() {
        Mlp model = new Mlp(3, 4, 5, 3);
        Sgd sgd = Sgd.builder(model).learningRate(0.1).momentum(0.9).build();
        for (Tensor p : model.parameters()) p.setGrad(Tensor.full(0.5f, p.shape()));
        sgd.step();
        float[] fc2Before = model.namedParameters().get("3.weight").toFloatArray();
        float[] fc1Before = model.namedParameters().get("1.weight").toFloatArray();
        // staged bottom-up over fc1, fc2: the first reset keeps fc1 and resets fc2, the second keeps both
        LayerReinitialization staged = new LayerReinitialization(model, List.of("fc1", "fc2"), 2, 0, 7, true, 11,
                s -> new Mlp(s, 4, 5, 3), sgd);
        assertThat(staged.groupsAfter(1)).isEmpty();
        assertThat(staged.groupsAfter(2)).containsExactly("fc2");
        assertThat(staged.groupsAfter(4)).isEmpty();
        LayerReinitialization r = new LayerReinitialization(model, List.of("fc1"), 2, 5, 7, false, 11,
                s -> new Mlp(s, 4, 5, 3), sgd);
        assertThat(r.groupsAfter(2)).containsExactly("fc1");
        assertThat(r.groupsAfter(4)).containsExactly("fc1");
        assertThat(r.groupsAfter(6)).isEmpty(); // after the last epoch to reset (5)
        r.beforeEpoch(2, model); // after 1 epoch: nothing
        assertThat(r.done()).isEmpty();
        assertThat(model.namedParameters().get("1.weight").toFloatArray()).containsExactly(fc1Before);
        r.beforeEpoch(3, model); // after epoch 2: fc1
        assertThat(r.done()).containsExactly(2);
        Mlp fresh = new Mlp(Seeds.mix(11, 1002), 4, 5, 3);
        assertThat(model.namedParameters().get("1.weight").toFloatArray())
                .containsExactly(fresh.namedParameters().get("1.weight").toFloatArray());
        assertThat(model.namedParameters().get("3.weight").toFloatArray()).containsExactly(fc2Before);
        for (float v : sgd.stateDict().get("1.weight.momentum_buffer").toFloatArray()) assertThat(v).isZero();
        assertThat(sgd.stateDict().get("3.weight.momentum_buffer").toFloatArray()[0]).isNotZero();
        assertThatThrownBy(() -> new LayerReinitialization(model, List.of("fc9"), 2, 0, 7, false, 1, Mlp::new, sgd))
                .hasMessageContaining("fc9").hasMessageContaining("fc1");
    }
}
