package dev.engram.memorization.analysis;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Summary rows read well when a number does not exist, and keep their numbers in place for tables over runs. */
class SummaryRowTest {
    @Test
    void nanReadsNotAvailableAndOtherTextIsKept() {
        assertThat(new SummaryRow("flipped", SummaryRow.pcts(Double.NaN, 0.5)).value()).isEqualTo("n/a / 50.00%");
        assertThat(new SummaryRow("units", "NaN / 4.00").value()).isEqualTo("n/a / 4.00");
        assertThat(new SummaryRow("name", "NaNoWriMo").value()).isEqualTo("NaNoWriMo");
        assertThatThrownBy(() -> new SummaryRow(" ", "1")).hasMessageContaining("label");
    }

    @Test
    void numbersKeepTheirPlaceWhenAPartIsNotAvailableAndAnInvertedAurocIsNoNumber() {
        SummaryRow.Figure nan = new SummaryRow.Figure(Double.NaN, true);
        assertThat(new SummaryRow("flipped", SummaryRow.pcts(Double.NaN, 1)).numbers())
                .containsExactly(nan, new SummaryRow.Figure(100, true));
        assertThat(SummaryRow.numbersOf("n/a / 100.00%")).containsExactly(SummaryRow.Figure.of(Double.NaN),
                new SummaryRow.Figure(100, true));
        assertThat(SummaryRow.numbersOf("0.4625 (inverted: 0.5375)")).containsExactly(SummaryRow.Figure.of(0.4625));
        assertThat(SummaryRow.numbersOf("3 of 10 / n/a, 1.5e-03")).containsExactly(SummaryRow.Figure.of(3),
                SummaryRow.Figure.of(10), SummaryRow.Figure.of(Double.NaN), SummaryRow.Figure.of(0.0015));
        assertThat(SummaryRow.percentages("acc", 0.5, Double.NaN)).isEqualTo(new SummaryRow("acc", "50.00% / n/a",
                List.of(new SummaryRow.Figure(50, true), nan)));
        assertThat(new SummaryRow("skipped", "no GPU in 2 of 3 tries", List.of()).numbers()).isEmpty();
    }
}
