package dev.engram.memorization.cli;

import dev.engram.memorization.experiment.ExperimentData;
import dev.engram.memorization.gradients.GradientAccounting;
import dev.engram.memorization.run.RunFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code engram grad-accounting --run DIR}: gradient accounting (spec §2) recomputed from saved checkpoints, parameters
 * fixed per checkpoint, one pass over the training set in train mode (see {@link GradientAccounting}).
 */
@Command(name = "grad-accounting", mixinStandardHelpOptions = true,
        description = "Gradient accounting from saved checkpoints: per layer, the norms of the clean and the noisy"
                + " examples' summed gradients and their cosine; per-example gradient norms of clean vs noisy examples."
                + " One pass over the training set per checkpoint, parameters fixed, train-mode batch-norm.")
public final class GradAccountingCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeOptions runtime = new RuntimeOptions();

    @Option(names = "--run", paramLabel = "DIR", required = true, description = "Trained run folder.")
    Path run;

    @Option(names = "--checkpoints", paramLabel = "EPOCHS", split = ",",
            description = "Checkpoint epochs to account, e.g. 0,10,20 (default: every checkpoint).")
    List<Integer> checkpoints = new ArrayList<>();

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "0",
            description = "Mini-batch size (default 0: the run's training batch size).")
    int batchSize;

    @Option(names = "--offline", description = "Use only the dataset cache, never download.")
    boolean offline;

    @Override
    public Integer call() throws Exception {
        runtime.apply();
        PrintWriter out = spec.commandLine().getOut();
        RunFolder folder = RunFolder.open(run);
        folder.requireNoisy("Gradient accounting");
        ExperimentData data = ExperimentData.load(folder.config(), TrainCommand.fetchOptions(offline, out));
        GradientAccounting.Summary s = GradientAccounting.run(folder, data.train(),
                new GradientAccounting.Options(checkpoints, batchSize), e -> {
                    out.printf(Locale.ROOT, "accounting checkpoint %d%n", e);
                    out.flush();
                });
        out.println(GradientAccounting.headline(s));
        out.println("results: " + folder.analysisPath(GradientAccounting.NAME));
        out.flush();
        return 0;
    }
}
