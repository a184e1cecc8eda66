package dev.engram.nn.train;

import dev.engram.engine.Functional;
import dev.engram.engine.Grad;
import dev.engram.engine.Tensor;
import dev.engram.nn.Module;
import dev.engram.nn.io.Checkpoint;
import dev.engram.nn.optim.Constant;
import dev.engram.nn.optim.Sgd;
import dev.engram.nn.optim.WarmupCosine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

@SuppressWarnings("try")
class TrainerTest {
    @TempDir
    Path dir;

    private static Sgd paperSgd(Module m, double lr) {
        return Sgd.builder(m).learningRate(lr).momentum(0.9).weightDecay(5e-4).build();
    }

    private static Map<String, float[]> snapshot(Map<String, Tensor> state) {
        Map<String, float[]> out = new LinkedHashMap<>();
        state.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    @Test
    void trainsATinyModelToLowerLossAndHighAccuracy() throws IOException {
        SyntheticSource data = new SyntheticSource(96, 4, 3, 16, 7, true);
        TinyModels.Mlp model = new TinyModels.Mlp(4, 16, 3, false, 3);
        Trainer t = Trainer.builder().model(model).optimizer(paperSgd(model, 0.1)).epochs(15).trainData(data)
                .schedule(WarmupCosine.forEpochs(0.1, 15, data.batchesPerEpoch()))
                .evaluate("train", new SyntheticSource(96, 4, 3, 32, 0, false)).progress(ProgressMode.NONE).build();
        TrainingHistory h = t.fit();
        assertThat(h.epochs()).hasSize(15);
        assertThat(h.globalStep()).isEqualTo(15L * 6);
        double first = h.epochs().get(0).trainLoss(), last = h.last().trainLoss();
        assertThat(last).isLessThan(first * 0.2);
        assertThat(h.last().eval().get("train").accuracy()).isGreaterThanOrEqualTo(0.9);
        assertThat(h.last().eval().get("train").examples()).isEqualTo(96);
        assertThat(h.last().learningRate()).isEqualTo(new WarmupCosine(0.1, 15L * 7).lr(15L * 6 - 1));
    }

    @Test
    void evaluateMatchesAManualPassInEvalModeAndRestoresTheMode() {
        SyntheticSource data = new SyntheticSource(40, 4, 3, 16, 1, false);
        TinyModels.Mlp model = new TinyModels.Mlp(4, 8, 3, true, 5);
        Trainer t = Trainer.builder().model(model).optimizer(paperSgd(model, 0.1)).epochs(1).trainData(data)
                .progress(ProgressMode.NONE).build();
        EvalMetrics m = t.evaluate(data, 0);
        assertThat(model.isTraining()).isTrue();
        model.eval();
        double lossSum = 0;
        int correct = 0;
        try (Grad g = Grad.disabled()) {
            float[] all = new float[40 * 4];
            for (int i = 0; i < 40; i++) System.arraycopy(data.x[i], 0, all, i * 4, 4);
            Tensor logits = model.forward(Tensor.of(all, 40, 4));
            float[] ce = Functional.crossEntropyPerExample(logits, Tensor.ofInts(data.y, 40)).toFloatArray();
            int[] pred = logits.argmax(1).toIntArray();
            for (int i = 0; i < 40; i++) {
                lossSum += ce[i];
                if (pred[i] == data.y[i]) correct++;
            }
        }
        model.train(true);
        assertThat(m.examples()).isEqualTo(40);
        assertThat(m.accuracy()).isEqualTo(correct / 40.0);
        assertThat(m.loss()).isCloseTo(lossSum / 40, within(1e-5));
    }

    @Test
    void resumingFromACheckpointReproducesAnUninterruptedRunBitForBit() throws IOException {
        SyntheticSource data = new SyntheticSource(64, 4, 3, 16, 11, true);
        WarmupCosine schedule = WarmupCosine.forEpochs(0.05, 2, data.batchesPerEpoch());

        TinyModels.Mlp straight = new TinyModels.Mlp(4, 8, 3, true, 21);
        Sgd sgdStraight = paperSgd(straight, 0.05);
        TrainingHistory hs = Trainer.builder().model(straight).optimizer(sgdStraight).schedule(schedule).epochs(2)
                .trainData(data).progress(ProgressMode.NONE).build().fit();

        Path ckpt = dir.resolve("run");
        TinyModels.Mlp first = new TinyModels.Mlp(4, 8, 3, true, 21);
        Trainer.builder().model(first).optimizer(paperSgd(first, 0.05)).schedule(schedule).epochs(1)
                .trainData(data).checkpointDir(ckpt).progress(ProgressMode.NONE).build().fit();

        TinyModels.Mlp resumed = new TinyModels.Mlp(4, 8, 3, true, 999); // different init: everything must come from the checkpoint
        Sgd sgdResumed = paperSgd(resumed, 0.05);
        Trainer t = Trainer.builder().model(resumed).optimizer(sgdResumed).schedule(schedule).epochs(2)
                .trainData(data).checkpointDir(ckpt).progress(ProgressMode.NONE).build();
        TrainingHistory hr = t.resume(ckpt);

        assertThat(hr.epochs()).hasSize(2);
        assertThat(hr.globalStep()).isEqualTo(hs.globalStep()).isEqualTo(8);
        assertThat(hr.epochs().get(0).trainLoss()).isEqualTo(hs.epochs().get(0).trainLoss());
        assertThat(hr.last().trainLoss()).isEqualTo(hs.last().trainLoss());
        Map<String, float[]> a = snapshot(straight.stateDict()), b = snapshot(resumed.stateDict());
        assertThat(b.keySet()).containsExactlyElementsOf(a.keySet()).contains("bn.running_mean", "bn.running_var");
        for (String k : a.keySet()) assertThat(b.get(k)).as(k).containsExactly(a.get(k));
        Map<String, float[]> oa = snapshot(sgdStraight.stateDict()), ob = snapshot(sgdResumed.stateDict());
        assertThat(ob.keySet()).containsExactlyElementsOf(oa.keySet());
        for (String k : oa.keySet()) assertThat(ob.get(k)).as(k).containsExactly(oa.get(k));
        assertThat(Checkpoint.epochs(ckpt)).containsExactly(0, 1, 2);
    }

    @Test
    void checkpointsHoldTheInitialWeightsAndEveryEpoch() throws IOException {
        SyntheticSource data = new SyntheticSource(32, 4, 3, 16, 2, true);
        TinyModels.Mlp model = new TinyModels.Mlp(4, 8, 3, true, 4);
        Map<String, float[]> init = snapshot(model.stateDict());
        Path ckpt = dir.resolve("c");
        Trainer t = Trainer.builder().model(model).optimizer(paperSgd(model, 0.05)).epochs(3).trainData(data)
                .evaluate("test", new SyntheticSource(32, 4, 3, 8, 0, false))
                .checkpointDir(ckpt).progress(ProgressMode.LOG).build();
        TrainingHistory h = t.fit();
        assertThat(Checkpoint.epochs(ckpt)).containsExactly(0, 1, 2, 3);
        Map<String, Tensor> w0 = Checkpoint.readWeights(ckpt, "epoch-000");
        for (var e : init.entrySet()) assertThat(w0.get(e.getKey()).toFloatArray()).as(e.getKey()).containsExactly(e.getValue());
        Map<String, Tensor> w3 = Checkpoint.readWeights(ckpt, "epoch-003");
        assertThat(w3.get("fc1.weight").toFloatArray()).containsExactly(model.stateDict().get("fc1.weight").toFloatArray());
        assertThat(Files.exists(Checkpoint.optimizerFile(ckpt, "epoch-003"))).isTrue();
        assertThat(Files.exists(Checkpoint.optimizerFile(ckpt, "epoch-002"))).isFalse(); // only the latest keeps optimizer state
        var s2 = Checkpoint.readState(ckpt, "epoch-002");
        assertThat(s2.globalStep()).isEqualTo(4);
        assertThat(s2.metrics().get("train.loss")).isEqualTo(h.epochs().get(1).trainLoss());
        assertThat(s2.metrics().get("eval.test.accuracy")).isEqualTo(h.epochs().get(1).eval().get("test").accuracy());
        assertThatThrownBy(() -> Trainer.builder().model(model).optimizer(paperSgd(model, 0.05)).epochs(1).trainData(data)
                .checkpointDir(ckpt).progress(ProgressMode.NONE).build().fit())
                .hasMessageContaining("already holds checkpoints");
    }

    @Test
    void stepListenersSeePreUpdateGradientsAndStepIntermediatesAreFreed() throws IOException {
        SyntheticSource data = new SyntheticSource(48, 4, 3, 16, 3, true);
        TinyModels.Mlp model = new TinyModels.Mlp(4, 8, 3, false, 8);
        Sgd sgd = Sgd.builder(model).learningRate(0.1).build(); // plain SGD: p' = p - 0.1 g
        Tensor bias = model.namedParameters().get("fc2.bias");
        List<Tensor> logitsSeen = new ArrayList<>();
        List<int[]> idsSeen = new ArrayList<>();
        int[] checks = {0};
        float[][] prev = new float[2][];
        StepListener listener = new StepListener() {
            @Override
            public void beforeBackward(StepContext s) {
                float[] now = bias.toFloatArray();
                if (prev[0] != null) {
                    for (int k = 0; k < now.length; k++) assertThat(now[k]).isEqualTo(prev[0][k] - 0.1f * prev[1][k]);
                    checks[0]++;
                }
                assertThat(s.model()).isSameAs(model);
                assertThat(model.namedParameters().values()).allMatch(p -> p.grad() == null);
                logitsSeen.add(s.logits());
                idsSeen.add(s.batch().exampleIds());
            }

            @Override
            public void afterBackward(StepContext s) {
                assertThat(s.learningRate()).isEqualTo(0.1);
                prev[0] = bias.toFloatArray(); // not yet updated
                prev[1] = bias.grad().toFloatArray();
            }
        };
        List<Integer> epochsSeen = new ArrayList<>();
        TrainingHistory h = Trainer.builder().model(model).optimizer(sgd).schedule(new Constant(0.1)).epochs(2).trainData(data)
                .stepListener(listener).epochListener((m, mod) -> epochsSeen.add(m.epoch())).progress(ProgressMode.NONE).build().fit();
        assertThat(checks[0]).isEqualTo(5);
        assertThat(epochsSeen).containsExactly(1, 2);
        assertThat(idsSeen.get(0)).hasSize(16);
        assertThat(h.globalStep()).isEqualTo(6);
        // every step's activations were freed when its scope closed; parameters and gradients survive
        assertThat(logitsSeen).hasSize(6).allMatch(Tensor::isFreed);
        for (Tensor p : model.namedParameters().values()) {
            assertThat(p.isFreed()).isFalse();
            assertThat(p.grad().isFreed()).isFalse();
        }
    }

    @Test
    void listenersCanSplitTheGradientIntoPartsBeforeTheUpdate() throws IOException {
        // gradient accounting (spec section 2): backprop partial losses in beforeBackward, compare with the total afterwards
        SyntheticSource data = new SyntheticSource(48, 4, 3, 16, 3, true);
        TinyModels.Mlp model = new TinyModels.Mlp(4, 8, 3, true, 8);
        Tensor w = model.namedParameters().get("fc1.weight");
        float[][] parts = new float[2][];
        int[] checked = {0};
        StepListener accounting = new StepListener() {
            @Override
            public void beforeBackward(StepContext s) {
                int[] ids = s.batch().exampleIds();
                Tensor ce = Functional.crossEntropyPerExample(s.logits(), s.batch().labels());
                for (int part = 0; part < 2; part++) {
                    float[] mask = new float[ids.length];
                    for (int k = 0; k < ids.length; k++) mask[k] = ids[k] % 2 == part ? 1f : 0f;
                    Tensor partial = ce.mul(Tensor.of(mask, ids.length)).sum().mul(1f / ids.length);
                    model.zeroGrad();
                    partial.backward(Tensor.full(1f, partial.shape()), true);
                    parts[part] = w.grad().toFloatArray();
                }
            }

            @Override
            public void afterBackward(StepContext s) {
                float[] total = w.grad().toFloatArray();
                for (int k = 0; k < total.length; k++) {
                    assertThat((double) total[k]).isCloseTo(parts[0][k] + parts[1][k], within(1e-6));
                }
                checked[0]++;
            }
        };
        Trainer.builder().model(model).optimizer(paperSgd(model, 0.05)).epochs(1).trainData(data)
                .stepListener(accounting).progress(ProgressMode.NONE).build().fit();
        assertThat(checked[0]).isEqualTo(3);
    }

    @Test
    void momentumBuffersSurviveTheStepScopes() throws IOException {
        SyntheticSource data = new SyntheticSource(32, 4, 3, 16, 3, true);
        TinyModels.Mlp model = new TinyModels.Mlp(4, 8, 3, true, 8);
        Sgd sgd = paperSgd(model, 0.05);
        Trainer.builder().model(model).optimizer(sgd).epochs(1).trainData(data).progress(ProgressMode.NONE).build().fit();
        assertThat(sgd.stateDict()).hasSize(6).allSatisfy((k, v) -> assertThat(v.isFreed()).as(k).isFalse());
        for (Tensor b : model.namedBuffers().values()) assertThat(b.isFreed()).isFalse();
    }

    @Test
    void nanInputStopsWithTheEpochStepAndFirstBadParameter() {
        SyntheticSource data = new SyntheticSource(64, 4, 3, 16, 5, true).poison(1, 10);
        int batch = data.batchOf(1, 10);
        TinyModels.Dense model = new TinyModels.Dense(4, 3, 1);
        Trainer t = Trainer.builder().model(model).optimizer(paperSgd(model, 0.01)).epochs(3).trainData(data)
                .progress(ProgressMode.NONE).build();
        assertThatThrownBy(t::fit).isInstanceOf(TrainingDivergedException.class)
                .hasMessageContaining("loss is NaN at epoch 2, global step " + (4 + batch) + " (batch " + batch + " of 4")
                .hasMessageContaining("first parameter with a non-finite gradient: 'weight'")
                .satisfies(e -> {
                    TrainingDivergedException d = (TrainingDivergedException) e;
                    assertThat(d.epoch()).isEqualTo(2);
                    assertThat(d.globalStep()).isEqualTo(4 + batch);
                    assertThat(d.parameter()).isEqualTo("weight");
                });
    }

    @Test
    void hugeLearningRateDivergesWithANamedParameter() {
        SyntheticSource data = new SyntheticSource(64, 4, 3, 16, 5, true);
        TinyModels.Mlp model = new TinyModels.Mlp(4, 8, 3, false, 2);
        Trainer t = Trainer.builder().model(model).optimizer(Sgd.builder(model).learningRate(1e30).build()).epochs(3)
                .trainData(data).progress(ProgressMode.NONE).build();
        assertThatThrownBy(t::fit).isInstanceOf(TrainingDivergedException.class)
                .hasMessageContaining("loss is NaN at epoch 1, global step 1 (batch 1 of 4, learning rate 1.00000e+30)")
                .hasMessageContaining("first parameter with a non-finite gradient: 'fc1.weight'");
    }

    @Test
    void earlyStoppingCountsPerfectEpochsCumulatively() throws IOException {
        SyntheticSource data = new SyntheticSource(32, 4, 3, 8, 9, true);
        TinyModels.Mlp model = new TinyModels.Mlp(4, 32, 3, false, 6);
        Path ckpt = dir.resolve("es");
        TrainingHistory h = Trainer.builder().model(model).optimizer(paperSgd(model, 0.1)).epochs(200).trainData(data)
                .earlyStopAfterPerfectEpochs(3).checkpointDir(ckpt).progress(ProgressMode.NONE).build().fit();
        assertThat(h.stoppedEarly()).isTrue();
        assertThat(h.epochs().size()).isLessThan(200);
        assertThat(h.epochs().stream().filter(m -> m.trainAccuracy() == 1.0).count()).isEqualTo(3);
        assertThat(h.last().trainAccuracy()).isEqualTo(1.0);
        // resuming a run that stopped early trains nothing more
        TinyModels.Mlp again = new TinyModels.Mlp(4, 32, 3, false, 6);
        TrainingHistory r = Trainer.builder().model(again).optimizer(paperSgd(again, 0.1)).epochs(200).trainData(data)
                .earlyStopAfterPerfectEpochs(3).progress(ProgressMode.NONE).build().resume(ckpt);
        assertThat(r.stoppedEarly()).isTrue();
        assertThat(r.epochs()).hasSize(h.epochs().size());
        assertThat(r.last().trainLoss()).isEqualTo(h.last().trainLoss());
    }

    @Test
    void divergenceOnTheLastStepOfAnEpochWritesNoCheckpointAndNamesStepAndParameter() throws IOException {
        // one batch per epoch: the only update of epoch 1 makes every weight non-finite while its loss was finite
        SyntheticSource data = new SyntheticSource(16, 4, 3, 16, 5, true);
        TinyModels.Mlp model = new TinyModels.Mlp(4, 8, 3, false, 2);
        Path ckpt = dir.resolve("poison");
        List<Integer> evaluated = new ArrayList<>();
        Trainer t = Trainer.builder().model(model).optimizer(Sgd.builder(model).learningRate(3e38).weightDecay(1e10).build())
                .epochs(3).trainData(data).evaluate("test", data).checkpointDir(ckpt)
                .epochListener((m, mod) -> evaluated.add(m.epoch())).progress(ProgressMode.NONE).build();
        assertThatThrownBy(t::fit).isInstanceOf(TrainingDivergedException.class)
                .hasMessageContaining("after global step 0 (batch 0 of 1, the last of epoch 1, learning rate 3.000e+38)")
                .hasMessageContaining("first non-finite parameter: tensor 'fc1.weight' element 0")
                .satisfies(e -> {
                    TrainingDivergedException d = (TrainingDivergedException) e;
                    assertThat(d.epoch()).isEqualTo(1);
                    assertThat(d.globalStep()).isZero();
                    assertThat(d.parameter()).isEqualTo("fc1.weight");
                });
        assertThat(evaluated).isEmpty();
        assertThat(Checkpoint.epochs(ckpt)).containsExactly(0);
        assertThat(Files.exists(Checkpoint.weightsFile(ckpt, "epoch-001"))).isFalse();
    }

    @Test
    void learningRatesPrintShortInEveryRange() {
        assertThat(LearningRates.format(0.05)).isEqualTo("0.05000");
        assertThat(LearningRates.format(0)).isEqualTo("0.00000");
        assertThat(LearningRates.format(3e38)).isEqualTo("3.000e+38");
        assertThat(LearningRates.format(-1e-7)).isEqualTo("-1.000e-07");
        assertThat(LearningRates.format(Double.NaN)).isEqualTo("NaN");
        for (double lr : new double[] {Double.MAX_VALUE, -Double.MAX_VALUE, Double.MIN_VALUE, 999.999999, 1e-3, 0.00099999}) {
            assertThat(LearningRates.format(lr)).as("%s", lr).hasSizeLessThanOrEqualTo(11);
        }
    }

    @Test
    void resumeRemovesCrashLeftoversButNothingElse() throws IOException {
        SyntheticSource data = new SyntheticSource(32, 4, 3, 16, 2, true);
        Path ckpt = dir.resolve("crashed");
        TinyModels.Mlp first = new TinyModels.Mlp(4, 8, 3, true, 4);
        Trainer.builder().model(first).optimizer(paperSgd(first, 0.05)).epochs(2).trainData(data).checkpointDir(ckpt)
                .progress(ProgressMode.NONE).build().fit();
        // what kill -9 at various moments leaves: temp files of atomic writes, the previous epoch's optimizer state
        // (killed between the state-file rename and its removal), an incomplete next checkpoint (weights, no state)
        Path tmpState = Files.writeString(ckpt.resolve(".epoch-003.json.1f2e3d4c5b6a7988.tmp"), "{");
        Path tmpWeights = Files.write(ckpt.resolve(".epoch-002.safetensors.00ff.tmp"), new byte[10]);
        Path oldOptim = Files.copy(Checkpoint.optimizerFile(ckpt, "epoch-002"), Checkpoint.optimizerFile(ckpt, "epoch-001"));
        Path incomplete = Files.copy(Checkpoint.weightsFile(ckpt, "epoch-002"), Checkpoint.weightsFile(ckpt, "epoch-003"));
        Path foreign = Files.writeString(ckpt.resolve("notes.txt"), "mine");
        Path foreignTmp = Files.writeString(ckpt.resolve(".editor.swp.tmp"), "mine");
        Path readme = Files.writeString(ckpt.resolve("epoch-001.safetensors.md"), "mine");

        TinyModels.Mlp again = new TinyModels.Mlp(4, 8, 3, true, 9);
        Trainer.builder().model(again).optimizer(paperSgd(again, 0.05)).epochs(3).trainData(data).checkpointDir(ckpt)
                .progress(ProgressMode.NONE).build().resume(ckpt);
        assertThat(tmpState).doesNotExist();
        assertThat(tmpWeights).doesNotExist();
        assertThat(oldOptim).doesNotExist();
        assertThat(Checkpoint.optimizerFile(ckpt, "epoch-002")).doesNotExist();
        assertThat(Checkpoint.optimizerFile(ckpt, "epoch-003")).exists();
        assertThat(Checkpoint.epochs(ckpt)).containsExactly(0, 1, 2, 3);
        assertThat(incomplete).exists(); // rewritten by the resumed run, now complete
        assertThat(foreign).exists();
        assertThat(foreignTmp).exists();
        assertThat(readme).exists();
        assertThat(Checkpoint.readWeights(ckpt, "epoch-003").get("fc1.weight").toFloatArray())
                .containsExactly(again.stateDict().get("fc1.weight").toFloatArray());
    }

    @Test
    void removeLeftoversDropsIncompleteCheckpointsAfterTheLatestCompleteOne() throws IOException {
        SyntheticSource data = new SyntheticSource(32, 4, 3, 16, 2, true);
        Path ckpt = dir.resolve("partial");
        TinyModels.Mlp m = new TinyModels.Mlp(4, 8, 3, true, 4);
        Trainer.builder().model(m).optimizer(paperSgd(m, 0.05)).epochs(1).trainData(data).checkpointDir(ckpt)
                .keepAllOptimizerStates(true).progress(ProgressMode.NONE).build().fit();
        Path w = Files.copy(Checkpoint.weightsFile(ckpt, "epoch-001"), Checkpoint.weightsFile(ckpt, "epoch-002"));
        Path o = Files.copy(Checkpoint.optimizerFile(ckpt, "epoch-001"), Checkpoint.optimizerFile(ckpt, "epoch-002"));
        assertThat(Checkpoint.removeLeftovers(ckpt, true)).containsExactlyInAnyOrder(w, o);
        assertThat(Checkpoint.optimizerFile(ckpt, "epoch-000")).exists(); // kept: keepAllOptimizerStates
        assertThat(Checkpoint.removeLeftovers(ckpt, false)).containsExactly(Checkpoint.optimizerFile(ckpt, "epoch-000"));
        assertThat(Checkpoint.epochs(ckpt)).containsExactly(0, 1);
    }
}
