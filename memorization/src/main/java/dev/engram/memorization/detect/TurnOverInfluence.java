package dev.engram.memorization.detect;

import dev.engram.memorization.data.Evaluation;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.etd.TapPlacement;
import dev.engram.nn.Module;
import dev.engram.nn.Taps;

import java.util.List;

/**
 * Self-influence by turn-over dropout (Kobayashi, Yokoi, Suzuki and Inui, "Efficient Estimation of Influence of a
 * Training Instance", 2020; docs/methods.md §8.4): a model trained once with a {@link TurnOverDropout} layer at every tap (each example
 * trains only its own half of the units) gives, for training example i, the influence of i on an example j as
 * {@code I(i → j) = ℓ(j; θ with 1 − m_i) − ℓ(j; θ with m_i)}: the loss of the subnetwork that never saw i minus the
 * loss of the one trained with it. Self-influence {@code I(i → i)} is the memorization score: an example the rest of
 * the data does not explain (mislabeled, atypical) is predicted well only by its own subnetwork; higher = suspicious.
 * One training run and two evaluations of the training set, instead of one retraining per example.
 */
public final class TurnOverInfluence {
    private TurnOverInfluence() { }

    /** A placement of turn-over dropout after every tap in {@code taps}, layer id = position. */
    public static TapPlacement placement(List<String> taps, long seed) {
        return TapPlacement.of(taps, (name, i) -> new TurnOverDropout(i, seed));
    }

    /** Sets the evaluation-mode mask of every turn-over dropout layer of {@code place}. */
    public static void setMode(TapPlacement place, TurnOverDropout.Mode mode) {
        for (Module l : place.layers().values()) if (l instanceof TurnOverDropout t) t.setMode(mode);
    }

    /**
     * Self-influence per example of {@code data} of {@code model} trained with {@code place} (evaluation mode): loss
     * with each example's turned-over mask minus loss with its own mask.
     */
    public static double[] selfInfluence(Module model, TapPlacement place, ExampleSet data, int batchSize) {
        model.eval();
        place.train(false);
        float[] own, turned;
        try (Taps t = place.open()) {
            setMode(place, TurnOverDropout.Mode.OWN);
            own = Evaluation.run(model, data, batchSize).loss();
            setMode(place, TurnOverDropout.Mode.TURNED_OVER);
            turned = Evaluation.run(model, data, batchSize).loss();
        } finally {
            setMode(place, TurnOverDropout.Mode.OWN);
        }
        double[] s = new double[data.size()];
        for (int i = 0; i < s.length; i++) s[i] = turned[i] - own[i];
        return s;
    }

    /**
     * Influence of every training example of {@code train} on the example {@code row} of {@code target} (e.g. a test
     * example): {@code I(i → j) = ℓ(j; 1 − m_i) − ℓ(j; m_i)}, evaluated by running {@code j} under each training
     * example's id. Positive: i's subnetwork predicts j better (a proponent); negative: an opponent.
     */
    public static double[] influenceOn(Module model, TapPlacement place, ExampleSet train, ExampleSet target, int row,
                                       int batchSize) {
        int n = train.size(), es = target.exampleSize();
        float[] x = new float[n * es];
        for (int i = 0; i < n; i++) System.arraycopy(target.x(), row * es, x, i * es, es);
        int[] labels = new int[n];
        java.util.Arrays.fill(labels, target.labels()[row]);
        ExampleSet copies = new ExampleSet(x, labels, train.ids().clone(), new boolean[n], target.channels(),
                target.height(), target.width(), target.numClasses());
        return selfInfluence(model, place, copies, batchSize);
    }
}
