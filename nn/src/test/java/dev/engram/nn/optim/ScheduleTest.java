package dev.engram.nn.optim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Schedules at their boundary steps against hand-computed values. */
class ScheduleTest {
    private static final double EPS = 1e-12;

    @Test
    void warmupCosineFollowsTheClosedForm() {
        // T = 100, W = int(10.0) = 10: s < 10 -> 0.01 s / 9; else 0.005 (1 + cos(pi (s - 10) / 90))
        WarmupCosine s = new WarmupCosine(0.01, 100);
        assertThat(s.warmupSteps()).isEqualTo(10);
        assertThat(s.lr(0)).isEqualTo(0.0);
        assertThat(s.lr(1)).isCloseTo(0.01 / 9, within(EPS));
        assertThat(s.lr(9)).isCloseTo(0.01, within(EPS));
        assertThat(s.lr(10)).isCloseTo(0.01, within(EPS));
        assertThat(s.lr(55)).isCloseTo(0.005, within(EPS)); // halfway through the decay: cos(pi/2) = 0
        assertThat(s.lr(40)).isCloseTo(0.005 * (1 + 0.5), within(EPS)); // cos(pi/3) = 0.5
        assertThat(s.lr(99)).isCloseTo(0.005 * (1 + Math.cos(Math.PI * 89 / 90)), within(EPS));
        assertThat(s.lr(100)).isEqualTo(0.0);
        assertThat(s.lr(1000)).isEqualTo(0.0);
    }

    @Test
    void warmupCosineCountsOneExtraStepPerEpochLikeThePaper() {
        // 50 epochs of 98 batches (CIFAR-10 at batch 512): T = 50 * 99 = 4950, W = int(495.0) = 495
        WarmupCosine s = WarmupCosine.forEpochs(0.01, 50, 98);
        assertThat(s.totalSteps()).isEqualTo(4950);
        assertThat(s.warmupSteps()).isEqualTo(495);
        assertThat(s.lr(494)).isCloseTo(0.01, within(EPS));
        assertThat(s.lr(495)).isCloseTo(0.01, within(EPS));
        // int(0.1 * T) truncates like Python: T = 19 -> W = 1 (guarded: lr 0), T = 9 -> W = 0 (no warm-up)
        assertThat(new WarmupCosine(1, 19).warmupSteps()).isEqualTo(1);
        assertThat(new WarmupCosine(1, 19).lr(0)).isEqualTo(0.0);
        assertThat(new WarmupCosine(1, 19).lr(1)).isCloseTo(1.0, within(EPS));
        assertThat(new WarmupCosine(1, 9).lr(0)).isCloseTo(1.0, within(EPS));
        assertThat(new WarmupCosine(1, 9).lr(3)).isCloseTo(0.5 * (1 + Math.cos(Math.PI / 3)), within(EPS));
        assertThat(new WarmupCosine(1, 29).warmupSteps()).isEqualTo(2);
        assertThat(new WarmupCosine(1, 29).lr(1)).isCloseTo(1.0, within(EPS));
    }

    @Test
    void oneCycleTriangularPeaksAtEpochTenOfTwenty() {
        // 20 epochs x 5 steps: peak 0.1 at step 50, 0 at step 100
        OneCycleTriangular s = OneCycleTriangular.forEpochs(0.1, 10, 20, 5);
        assertThat(s.lr(0)).isEqualTo(0.0);
        assertThat(s.lr(25)).isCloseTo(0.05, within(EPS));
        assertThat(s.lr(49)).isCloseTo(0.098, within(EPS));
        assertThat(s.lr(50)).isCloseTo(0.1, within(EPS));
        assertThat(s.lr(51)).isCloseTo(0.098, within(EPS));
        assertThat(s.lr(75)).isCloseTo(0.05, within(EPS));
        assertThat(s.lr(99)).isCloseTo(0.002, within(EPS));
        assertThat(s.lr(100)).isEqualTo(0.0);
        assertThat(s.lr(150)).isEqualTo(0.0);
        // 25-epoch base model: peak at epoch 10, end at 25 (asymmetric)
        OneCycleTriangular base = OneCycleTriangular.forEpochs(0.1, 10, 25, 4);
        assertThat(base.lr(70)).isCloseTo(0.1 * 30 / 60, within(EPS));
    }

    @Test
    void stepDecayAndConstant() {
        StepDecay s = new StepDecay(0.1, 30, 0.1);
        assertThat(s.lr(0)).isEqualTo(0.1);
        assertThat(s.lr(29)).isEqualTo(0.1);
        assertThat(s.lr(30)).isCloseTo(0.01, within(EPS));
        assertThat(s.lr(61)).isCloseTo(0.001, within(EPS));
        assertThat(new Constant(0.3).lr(12345)).isEqualTo(0.3);
    }

    @Test
    void rejectsInvalidArguments() {
        assertThatThrownBy(() -> new WarmupCosine(0.1, 0)).hasMessageContaining("totalSteps");
        assertThatThrownBy(() -> new WarmupCosine(0.1, 10).lr(-1)).hasMessageContaining("step must be >= 0");
        assertThatThrownBy(() -> new OneCycleTriangular(0.1, 11, 10)).hasMessageContaining("peakStep");
        assertThatThrownBy(() -> new StepDecay(0.1, 0, 0.5)).hasMessageContaining("stepSize");
        assertThatThrownBy(() -> new Constant(Double.NaN)).hasMessageContaining("Constant");
    }
}
