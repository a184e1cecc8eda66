package dev.engram.memorization.cli;

import dev.engram.memorization.gradients.GradientAccounting;
import dev.engram.memorization.gradients.GradientAccumulator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code engram grad-accounting --run DIR}: gradient accounting (docs/methods.md §2) recomputed from saved checkpoints, parameters
 * fixed per checkpoint, one pass over the training set in train mode (see {@link GradientAccounting}).
 */
@Command(name = "grad-accounting", mixinStandardHelpOptions = true,
        description = "Gradient accounting from saved checkpoints: per layer, the norms of the clean and the noisy"
                + " examples' summed gradients and their cosine; per-example gradient norms of clean vs noisy examples."
                + " One pass over the training set per checkpoint, parameters fixed, train-mode batch-norm.")
public final class GradAccountingCommand extends AnalysisCommand {
    @Option(names = "--checkpoints", paramLabel = "E,E,...", split = ",",
            description = "Checkpoint epochs to account, e.g. 0,10,20 (default: every checkpoint).")
    List<Integer> checkpoints = new ArrayList<>();

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "0",
            description = "Mini-batch size (default 0: the run's training batch size).")
    int batchSize;

    @Option(names = "--example-norms", paramLabel = "MODE", defaultValue = "eval",
            description = "Per-example gradient norms: eval (true per-example gradients, model in evaluation mode with"
                    + " batch-norm running statistics; one extra pass per batch) or train-batch (from the train-mode"
                    + " backward pass; batch-norm statistics mix in other examples' gradients) (default: ${DEFAULT-VALUE}).")
    String exampleNorms;

    @Override
    public Integer call() throws Exception {
        GradientAccounting.Result r = execute(new GradientAccounting(), UsageException.validate(() ->
                new GradientAccounting.Options(checkpoints, batchSize, GradientAccumulator.ExampleNorms.parse(exampleNorms))));
        out().println(GradientAccounting.headline(r.headline()));
        out().flush();
        return 0;
    }
}
