package dev.engram.memorization.cli;

import dev.engram.memorization.report.ReportWriter;
import dev.engram.memorization.run.RunFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code engram report --run DIR}: writes {@code DIR/report.html} from whatever analyses the run holds. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write report.html into a run folder: configuration, provenance and every analysis' results,"
                + " charts and tables (self-contained HTML).")
public final class ReportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--run", paramLabel = "DIR", converter = RunFolderOption.class, required = true, description = "Run folder.")
    Path run;

    @Option(names = "--offline", description = "Accepted like every other command's; the report reads only the run folder"
            + " and never downloads.")
    boolean offline;

    @Override
    public Integer call() throws Exception {
        RunFolder folder = RunFolder.open(run);
        Path out = ReportWriter.write(folder);
        spec.commandLine().getOut().println("wrote " + out);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
