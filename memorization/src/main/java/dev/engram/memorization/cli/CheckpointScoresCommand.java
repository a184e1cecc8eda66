package dev.engram.memorization.cli;

import dev.engram.datasets.FetchOptions;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.scores.CheckpointScores;
import dev.engram.memorization.scores.ExampleSet;
import dev.engram.memorization.scores.RunInputs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code engram checkpoint-scores --run DIR}: VoG, loss/margin trajectories and forgetting events computed from the
 * run's per-epoch checkpoints, with their mislabel-detection AUROC; writes {@code analyses/checkpoint-scores/}.
 */
@Command(name = "checkpoint-scores", mixinStandardHelpOptions = true,
        description = "Per-example scores from the run's checkpoints: VoG (spec §8.1), loss and margin trajectories,"
                + " forgetting events (spec §8.12), each with its AUROC for finding the noisy examples."
                + " Writes analyses/checkpoint-scores/.")
public final class CheckpointScoresCommand implements Callable<Integer> {
    /** Analysis folder name. */
    public static final String NAME = "checkpoint-scores";

    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeOptions runtime;

    @Option(names = "--run", paramLabel = "DIR", required = true, description = "Run folder with per-epoch checkpoints.")
    Path run;

    @Option(names = "--every", paramLabel = "K", defaultValue = "1",
            description = "Use every K-th checkpoint (the last one always; default: ${DEFAULT-VALUE}).")
    int every;

    @Option(names = "--examples", paramLabel = "N", defaultValue = "0",
            description = "Score only the first N training examples; 0 = all (default: ${DEFAULT-VALUE}).")
    int examples;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "500", description = "Evaluation batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Override
    public Integer call() throws Exception {
        runtime.apply();
        if (every < 1) throw new IllegalArgumentException("--every must be >= 1, got " + every);
        PrintWriter out = spec.commandLine().getOut();
        RunFolder folder = RunFolder.open(run);
        folder.requireNoisy("Checkpoint scores");
        List<RunFolder.Checkpoint> all = folder.checkpoints();
        List<RunFolder.Checkpoint> used = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) if (i % every == 0 || i == all.size() - 1) used.add(all.get(i));
        if (used.size() < 2) {
            throw new IllegalArgumentException("run " + run + " has " + all.size() + " checkpoint(s); scores need at least 2;"
                    + " train it with `engram train --run " + run + "`");
        }
        RunInputs.Data data = RunInputs.load(folder, FetchOptions.defaults());
        ExampleSet train = data.train();
        if (examples > 0 && examples < train.size()) {
            int[] rows = new int[examples];
            for (int i = 0; i < examples; i++) rows[i] = i;
            train = train.subset(rows);
        }
        int[] epochs = used.stream().mapToInt(RunFolder.Checkpoint::epoch).toArray();
        ExampleSet shape = train;
        out.println("scoring " + train.size() + " examples over " + epochs.length + " checkpoints");
        out.flush();
        CheckpointScores.Result r = CheckpointScores.compute(
                c -> RunInputs.loadModel(folder, shape, used.get(c).file()), epochs, train, batchSize, line -> {
                    out.println(line);
                    out.flush();
                });
        Map<String, Object> ctx = new LinkedHashMap<>();
        ctx.put("dataset", folder.config().dataset());
        ctx.put("model", folder.config().model());
        Path dir = folder.analysisDir(NAME);
        CheckpointScores.write(r, train, ctx, dir);
        for (CheckpointScores.Detection d : r.detections()) {
            out.println(String.format(Locale.ROOT, "%-26s AUROC %.4f  precision@#noisy %.4f", d.score(), d.auroc(), d.precisionAtNumNoisy()));
        }
        out.println("wrote " + dir);
        out.flush();
        return 0;
    }
}
