package dev.engram.nativetests;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The native tests' comparison helpers (no GPU needed): what they accept and how they report a mismatch. */
class GpuAssertionsTest {
    @Test
    void exactComparisonReportsTheCountAndTheFirstMismatchesOfALargeArray() {
        int n = 100_000;
        float[] expected = new float[n], actual = new float[n];
        for (int i = 0; i < n; i++) {
            expected[i] = i;
            actual[i] = i % 2 == 0 ? i : -i; // 50k mismatches: a plain loop, not a quadratic diff
        }
        assertThatThrownBy(() -> Gpu.assertExact("op", expected, actual)).isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("op: 50000 of 100000 elements differ; first:")
                .hasMessageContaining("[1] device -1.0, CPU 1.0").hasMessageContaining("[9] device -9.0")
                .hasMessageNotContaining("[11]");
    }

    @Test
    void exactComparisonIsBitwise() {
        assertThatCode(() -> Gpu.assertExact("nan", new float[] {Float.NaN}, new float[] {Float.NaN})).doesNotThrowAnyException();
        assertThatThrownBy(() -> Gpu.assertExact("zero", new float[] {0f}, new float[] {-0f})).hasMessageContaining("1 of 1");
        assertThatThrownBy(() -> Gpu.assertExact("ints", new int[] {1, 2}, new int[] {1, 3})).hasMessageContaining("[1] device 3, CPU 2");
        assertThatThrownBy(() -> Gpu.assertExact("len", new int[] {1, 2}, new int[] {1})).hasMessageContaining("len: length");
    }

    @Test
    void closeComparisonNamesTheWorstElement() {
        assertThatThrownBy(() -> Gpu.assertClose("c", new float[] {1, 2, 3}, new float[] {1, 2.5f, 3.1f}, 1e-3, 0))
                .hasMessageContaining("element 1 is 2.5");
        assertThatCode(() -> Gpu.assertClose("c", new float[] {1, 2}, new float[] {1.0005f, 2}, 1e-3, 0)).doesNotThrowAnyException();
    }
}
