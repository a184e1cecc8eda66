package dev.engram.memorization.analysis;

import com.google.gson.JsonObject;
import dev.engram.memorization.io.Results;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Analyses#execute} stores each result's summary rows in its results.json for the report. */
class StoredSummaryRowsTest {
    @TempDir
    Path tmp;

    @Test
    void rowsAreAddedUnderTheFixedKeyKeepingTheOtherValues() throws IOException {
        Path f = tmp.resolve("results.json");
        Results.writeJson(f, Map.of("finalNoisy", 0.85));
        Analyses.storeSummaryRows(f, List.of(new SummaryRow("noisy acc", "85.00%"), new SummaryRow("units", "4.2")));
        JsonObject o = Results.readObject(f);
        assertThat(o.get("finalNoisy").getAsDouble()).isEqualTo(0.85);
        assertThat(o.getAsJsonArray(Results.SUMMARY_ROWS)).hasSize(2);
        JsonObject first = o.getAsJsonArray(Results.SUMMARY_ROWS).get(0).getAsJsonObject();
        assertThat(first.get("label").getAsString()).isEqualTo("noisy acc");
        assertThat(first.get("value").getAsString()).isEqualTo("85.00%");
    }

    @Test
    void noResultsFileIsLeftAlone() throws IOException {
        Analyses.storeSummaryRows(tmp.resolve("results.json"), List.of(new SummaryRow("a", "b")));
        assertThat(Files.exists(tmp.resolve("results.json"))).isFalse();
    }
}
