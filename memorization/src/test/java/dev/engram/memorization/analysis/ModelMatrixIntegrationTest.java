package dev.engram.memorization.analysis;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The model matrix of {@link ModelMatrixTest} for the big models ({@link ModelMatrixTest#BIG}: too slow for the default
 * run on a small CPU). Tagged {@code integration}: {@code mvn -o verify -pl memorization -am -Pintegration}.
 */
@Tag("integration")
class ModelMatrixIntegrationTest {
    @ParameterizedTest(name = "{0}")
    @FieldSource("dev.engram.memorization.analysis.ModelMatrixTest#BIG")
    void everyAnalysisAndTheReportRunOn(String model, @TempDir Path tmp) throws IOException {
        ModelMatrixTest.runMatrix(model, tmp);
    }
}
