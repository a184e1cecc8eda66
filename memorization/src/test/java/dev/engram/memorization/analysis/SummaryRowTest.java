package dev.engram.memorization.analysis;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Summary rows read well when a number does not exist. */
class SummaryRowTest {
    @Test
    void nanReadsNotAvailableAndOtherTextIsKept() {
        assertThat(new SummaryRow("flipped", SummaryRow.pcts(Double.NaN, 0.5)).value()).isEqualTo("n/a / 50.00%");
        assertThat(new SummaryRow("units", "NaN / 4.00").value()).isEqualTo("n/a / 4.00");
        assertThat(new SummaryRow("name", "NaNoWriMo").value()).isEqualTo("NaNoWriMo");
        assertThatThrownBy(() -> new SummaryRow(" ", "1")).hasMessageContaining("label");
    }
}
