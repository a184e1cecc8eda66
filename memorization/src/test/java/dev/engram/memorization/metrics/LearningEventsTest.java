package dev.engram.memorization.metrics;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class LearningEventsTest {
    private static final boolean T = true, F = false;

    /*
     * Rows = epochs 1..5, columns = 4 examples:
     *   ex0: T T T T T  learned at 1, never forgotten
     *   ex1: F T F T T  forgotten once (epoch 3), learned for good from 4
     *   ex2: F F F F F  never learned
     *   ex3: T F T F F  forgotten at 2 and 4 (2 events), wrong at the end
     */
    private static final boolean[][] M = {
        {T, F, F, T},
        {T, T, F, F},
        {T, F, F, T},
        {T, T, F, F},
        {T, T, F, F},
    };
    private static final int[] EPOCHS = {1, 2, 3, 4, 5};

    @Test
    void neverLearnedForGoodIsCodedAsLaterThanEveryEpoch() {
        LearningEvents ev = new LearningEvents(EPOCHS, M);
        assertThat(ev.neverLearnedForGoodEpoch()).isEqualTo(6);
        assertThat(ev.learnedForGoodEpochOrAfterLast()).containsExactly(1, 4, 6, 6);
        // with checkpoints every other epoch: one past the last epoch, not the number of rows
        LearningEvents sparse = new LearningEvents(new int[] {0, 2, 4}, new boolean[][] {{F, F}, {T, F}, {T, F}});
        assertThat(sparse.learnedForGoodEpochOrAfterLast()).containsExactly(2, 5);
    }

    @Test
    void eventsOfAHandMadeMatrix() {
        LearningEvents ev = new LearningEvents(EPOCHS, M);
        assertThat(ev.forgettingEvents()).containsExactly(0, 1, 0, 2);
        assertThat(ev.firstCorrectEpoch()).containsExactly(1, 2, -1, 1);
        assertThat(ev.learnedForGoodEpoch()).containsExactly(1, 4, -1, -1);
        assertThat(ev.firstForgottenEpoch()).containsExactly(-1, 3, -1, 2);
        assertThat(ev.neverLearned()).containsExactly(F, F, T, F);
        assertThat(ev.accuracyCurve(new int[] {0, 1})).containsExactly(0.5, 1.0, 0.5, 1.0, 1.0);
        assertThat(ev.accuracyCurve(new int[] {3})).containsExactly(1.0, 0.0, 1.0, 0.0, 0.0);
    }

    @Test
    void tonevaForgettingIgnoresTheUntrainedRowAndRanksNeverLearnedAboveEveryLearnedExample() {
        // rows = epochs 0 (untrained), 1, 2, 3, 4
        //   ex0: T F F F F  right by chance at initialisation, never learned by training
        //   ex1: F T T T T  learned at 1, never forgotten
        //   ex2: F T F T F  forgotten twice
        //   ex3: F F F F F  never learned
        boolean[][] c = {
            {T, F, F, F},
            {F, T, T, F},
            {F, T, F, F},
            {F, T, T, F},
            {F, T, F, F},
        };
        LearningEvents ev = LearningEvents.ofConsecutive(c);
        LearningEvents.Forgetting toneva = LearningEvents.Forgetting.TONEVA;
        // the epoch-0 row is not a presentation: ex0 has no forgetting event from it
        assertThat(ev.forgettingEvents(toneva)).containsExactly(0, 0, 2, 0);
        double[] score = ev.forgettingScore(toneva);
        // never learned (ex0, ex3) rank above every learned example, including the twice-forgotten ex2
        assertThat(score[0]).isGreaterThan(score[2]);
        assertThat(score[3]).isGreaterThan(score[2]);
        assertThat(score[2]).isGreaterThan(score[1]);
        // the older definition stays reachable: epoch-0 transition counted, never learned = 0 events
        assertThat(ev.forgettingScore(LearningEvents.Forgetting.ALL_ROWS)).containsExactly(1, 0, 2, 0);
        assertThat(ev.withoutInitialisation().neverLearned()).containsExactly(T, F, F, T);
        // a matrix starting at epoch 1 has no initialisation row to drop
        assertThat(new LearningEvents(EPOCHS, M).forgettingScore(toneva)).containsExactly(0, 1, 5, 2);
    }

    @Test
    void epochNumbersComeFromTheRows() {
        LearningEvents ev = new LearningEvents(new int[] {0, 10, 20, 30, 40}, M);
        assertThat(ev.learnedForGoodEpoch()).containsExactly(0, 30, -1, -1);
        assertThat(LearningEvents.ofConsecutive(M).firstForgottenEpoch()).containsExactly(-1, 2, -1, 1);
    }

    @Test
    void malformedMatricesAreRejected() {
        assertThatThrownBy(() -> new LearningEvents(new int[] {1, 2}, new boolean[][] {{T}, {T, F}}))
                .hasMessageContaining("row 1 has 2 examples");
        assertThatThrownBy(() -> new LearningEvents(new int[] {2, 1}, new boolean[][] {{T}, {F}}))
                .hasMessageContaining("increase");
        assertThatThrownBy(() -> new LearningEvents(new int[] {1}, new boolean[][] {{T}, {F}}))
                .hasMessageContaining("1 epoch numbers for 2 rows");
    }

    @Test
    void trajectorySummaries() {
        double[][] loss = {
            {2.0, 1.0},
            {1.0, 3.0},
            {0.0, 2.0},
        };
        Trajectories.Summaries s = Trajectories.summarize(loss);
        assertThat(s.mean()).containsExactly(1.0, 2.0);
        assertThat(s.std()[0]).isCloseTo(Math.sqrt(2.0 / 3.0), within(1e-12));
        assertThat(s.first()).containsExactly(2.0, 1.0);
        assertThat(s.last()).containsExactly(0.0, 2.0);
        assertThat(s.min()).containsExactly(0.0, 1.0);
        assertThat(s.max()).containsExactly(2.0, 3.0);
        assertThat(s.of(1)).isEqualTo(new Trajectories.Summary(2.0, Math.sqrt(2.0 / 3.0), 1.0, 2.0, 1.0, 3.0));
        assertThatThrownBy(() -> Trajectories.summarize(new double[][] {{1, Double.NaN}}))
                .hasMessageContaining("example 1 in row 0");
    }

    @Test
    void marginsOfLogits() {
        float[] logits = {1f, 3f, 2f, /* row 2 */ 5f, 0f, -1f};
        assertThat(Trajectories.margins(logits, 3, new int[] {1, 2})).containsExactly(1.0, -6.0);
        assertThat(Trajectories.margin(logits, 0, 3, 0)).isEqualTo(-2.0);
        assertThatThrownBy(() -> Trajectories.margins(logits, 4, new int[] {0, 1})).hasMessageContaining("2 × 4");
        assertThatThrownBy(() -> Trajectories.margin(logits, 0, 3, 3)).hasMessageContaining("label 3");
    }
}
