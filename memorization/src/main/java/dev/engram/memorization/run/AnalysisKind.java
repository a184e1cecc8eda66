package dev.engram.memorization.run;

import java.util.Optional;

/**
 * The analyses a run folder can hold, each in {@code analyses/<dirName>/}, in the order the report shows them.
 * The description is what the report prints above the analysis' results.
 */
public enum AnalysisKind {
    /** Accuracy and loss curves of the training run, split clean / noisy / test. */
    TRAINING("training", "Training",
            "Accuracy of the training run after every epoch on clean training examples, on noisy training examples"
                    + " (agreement with the corrupted label, i.e. memorization) and on the test set."),
    /** Gradient accounting (docs/methods.md §2). */
    GRADIENT_ACCOUNTING("grad-accounting", "Gradient accounting",
            "Per layer and epoch: norm of the summed loss gradient of the clean and of the noisy examples (each"
                    + " parameter tensor's norm divided by the square root of its size, summed over the layer's"
                    + " tensors) and the cosine similarity between the clean and the noisy gradient."),
    /** Layer rewinding (docs/methods.md §3). */
    REWINDING("rewinding", "Layer rewinding",
            "One layer of the final model is replaced by its value at an earlier checkpoint; accuracy on clean and"
                    + " noisy training examples shows whether memorization survives."),
    /** Layer retraining (docs/methods.md §4). */
    RETRAINING("retraining", "Layer retraining",
            "One layer is reset to its initial value and retrained on the clean examples only, all other layers"
                    + " frozen; accuracy on the never-seen noisy examples shows whether the other layers still hold"
                    + " the memorized labels."),
    /** Greedy neuron flipping (docs/methods.md §5). */
    FLIPPING("flipping", "Neuron flipping",
            "Greedy search that zeroes the most important channel or neuron until an example's prediction flips;"
                    + " memorized examples should need few units, and removing them should cost little accuracy"
                    + " elsewhere."),
    /** Example-tied dropout (docs/methods.md §6). */
    ETD("etd", "Example-tied dropout",
            "A model trained with example-tied dropout confines memorization to per-example units; dropping them at"
                    + " test time should remove the memorized labels while keeping clean and test accuracy."),
    /** Per-example scores and mislabel detection (docs/methods.md §8). */
    SCORES("scores", "Per-example scores",
            "Per-example memorization scores (forgetting events, learning epoch, loss and margin trajectories,"
                    + " …) and how well each one detects the mislabeled examples (AUROC, precision@k)."),
    /** Per-example scores recomputed from the checkpoints, with VoG (docs/methods.md §8.1). */
    CHECKPOINT_SCORES("checkpoint-scores", "Checkpoint scores",
            "Per-example scores recomputed from the run's checkpoints: variance of gradients (VoG), loss and margin"
                    + " trajectories and forgetting events, each with how well it detects the mislabeled examples."),
    /** The mislabel-detection leaderboard of every per-example score (docs/methods.md §8). */
    DETECT("detect", "Detection leaderboard",
            "Every per-example score Engram computes (trajectories, forgetting, VoG, TracIn self-influence, RHO-LOSS"
                    + " irreducible loss, turn-over dropout self-influence) compared as detectors of the mislabeled"
                    + " examples: AUROC, precision at the number of noisy examples, wall time and what each needed."),
    /** Training methods against memorization compared (docs/methods.md §10). */
    COMPARE_METHODS("compare-methods", "Training methods compared",
            "Models trained on the run's noisy labels with each training method (symmetric cross-entropy, SAM, JoCoR,"
                    + " RHO-LOSS selection, dropout, layer re-initialization, example-tied dropout) over several seeds:"
                    + " accuracy on the noisy training examples (memorization) against clean-train and test accuracy."),
    /** Sparse double descent under magnitude pruning (docs/methods.md §10.8). */
    SPARSE_DOUBLE_DESCENT("sparse-double-descent", "Sparse double descent",
            "The final model is pruned globally by weight magnitude to increasing sparsity, each level from the previous"
                    + " one, and retrained on the noisy labels with the pruned weights held at zero: test accuracy,"
                    + " memorization of the noisy labels and the learning distance ||theta_final - theta_init|| per"
                    + " sparsity (He et al., ICML 2022: as sparsity grows, test accuracy first falls, then rises, then falls)."),
    /** Fitting random labels and corrupted inputs (docs/methods.md §8.10). */
    FITTING_CURVES("fitting-curves", "Fitting random labels and inputs",
            "Models of the run's architecture and recipe trained from scratch with true labels, partially and completely"
                    + " random labels and corrupted inputs (shuffled pixels, random pixels, Gaussian noise), as Zhang et al."
                    + " (2017): training loss and accuracy against the labels trained on per epoch, and the time to 100%"
                    + " training accuracy."),
    /** Localization methods side by side (docs/methods.md §11). */
    LOCALIZE("localize", "Localization methods",
            "Localization methods (greedy flipping, first-order, zero-out, activation outliers, integrated gradients,"
                    + " slimming, hard concrete, random) rank the units of the final model for memorized noisy examples;"
                    + " zeroing each method's top-k units shows whether the memorized prediction goes and what it costs"
                    + " on other training and test examples; overlap of the units across examples and time per example."),
    /** Localization methods against ETD and injection ground truth (docs/methods.md §11.9, §11.10). */
    LOCALIZATION_BENCHMARK("localization-benchmark", "Localization benchmark (ground truth)",
            "Localization methods against ground truth. ETD: a model trained with example-tied dropout ties each example"
                    + " to known memorization units. Injection: a fresh copy of a plainly trained model is fine-tuned to"
                    + " memorize one new, relabelled example through a small set of units (their incoming and outgoing"
                    + " weights), all other weights frozen; the set is the truth. Every method ranks the"
                    + " units and is scored against the truth (precision and recall at the truth size, AUROC), by top-k"
                    + " ablation, overlap and time.");

    private final String dirName;
    private final String title;
    private final String description;

    AnalysisKind(String dirName, String title, String description) {
        this.dirName = dirName;
        this.title = title;
        this.description = description;
    }

    /** Folder name under {@code analyses/} (also the CLI subcommand name). */
    public String dirName() {
        return dirName;
    }

    /** Human-readable title. */
    public String title() {
        return title;
    }

    /** One-paragraph description of what the analysis measures. */
    public String description() {
        return description;
    }

    /** The kind whose folder is {@code dirName}, if any. */
    public static Optional<AnalysisKind> byDirName(String dirName) {
        for (AnalysisKind k : values()) if (k.dirName.equals(dirName)) return Optional.of(k);
        return Optional.empty();
    }
}
