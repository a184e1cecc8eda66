package dev.engram.memorization.cli;

import dev.engram.memorization.experiment.ScoresAnalysis;
import dev.engram.memorization.report.ReportWriter;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;

/**
 * {@code engram demo}: the pipeline on MNIST on the CPU in minutes: trains the demo preset (small MLP, 10% noise),
 * computes the per-example scores and writes the HTML report. More analyses join the demo as they are implemented.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the pipeline on MNIST with a small model on the CPU: train (10% label noise), per-example"
                + " scores, report.html.")
public final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeOptions runtime = new RuntimeOptions();

    @Option(names = "--run", paramLabel = "DIR", description = "Run folder (default: runs/demo-<date-time>).")
    Path run;

    @Option(names = "--epochs", description = "Override the demo's number of epochs.")
    Integer epochs;

    @Option(names = "--offline", description = "Use only the dataset cache, never download.")
    boolean offline;

    @Override
    public Integer call() throws Exception {
        runtime.apply();
        PrintWriter out = spec.commandLine().getOut();
        ExperimentConfig cfg = ExperimentConfig.cpuDemo().withDevice(runtime.device().toString(), runtime.threads());
        if (epochs != null) cfg = cfg.withEpochs(epochs);
        Path dir = run != null ? run : Path.of("runs", "demo-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        RunFolder folder = TrainCommand.trainRun(cfg, dir, offline, out, TrainCommand.commandLine(spec));
        out.println();
        ScoresCommand.print(ScoresAnalysis.run(folder), out);
        out.println("report: " + ReportWriter.write(folder));
        out.flush();
        return 0;
    }
}
