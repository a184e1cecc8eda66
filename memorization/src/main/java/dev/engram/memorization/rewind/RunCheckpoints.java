package dev.engram.memorization.rewind;

import dev.engram.engine.Tensor;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.run.RunFolderException;
import dev.engram.nn.Module;
import dev.engram.nn.io.Checkpoint;
import dev.engram.nn.io.SafeTensors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Loads and validates the per-epoch weight checkpoints of a run for the layer-level analyses. */
public final class RunCheckpoints {
    private RunCheckpoints() { }

    /**
     * The state dict saved after {@code epoch} (CPU tensors), checked against {@code model}.
     *
     * @throws RunFolderException when the checkpoint is missing (naming the file and the epochs that exist), cannot
     *                            be parsed (naming the file and the defect) or does not match the model (naming the
     *                            file and every missing, unexpected or mis-shaped tensor)
     */
    public static Map<String, Tensor> load(RunFolder run, int epoch, Module model) throws IOException {
        Path file = run.requireCheckpoint(epoch);
        Map<String, Tensor> state;
        try {
            state = SafeTensors.load(file);
        } catch (IOException | RuntimeException e) {
            throw new RunFolderException(file, "cannot read checkpoint " + file + " (epoch " + epoch + "): "
                    + e.getMessage(), e);
        }
        List<String> problems = Checkpoint.stateDictProblems(model.stateDict(), state);
        if (!problems.isEmpty()) {
            throw new RunFolderException(file, "checkpoint " + file + " (epoch " + epoch + ") does not match model "
                    + run.config().model() + " (" + problems.size() + " problem(s)): " + String.join("; ",
                    problems.subList(0, Math.min(8, problems.size()))) + (problems.size() > 8 ? "; …" : ""));
        }
        return state;
    }
}
