package dev.engram.memorization.cli;

import dev.engram.memorization.run.TrainingMethods;
import picocli.CommandLine.Option;

/**
 * The training methods against memorization as options of {@code engram train} (docs/methods.md §10), stored in the
 * run's {@code config.json} under {@code methods}.
 */
public final class MethodOptions {
    @Option(names = "--loss", paramLabel = "ce|sce", description = "Training loss: ce (cross-entropy) or sce (symmetric"
            + " cross-entropy, Wang et al. 2019: alpha*CE + beta*reverse CE, log 0 clamped to -4).")
    String loss;

    @Option(names = "--sce-alpha", description = "Weight of the cross-entropy in sce (default 0.1).")
    Double sceAlpha;

    @Option(names = "--sce-beta", description = "Weight of the reverse cross-entropy in sce (default 1.0).")
    Double sceBeta;

    @Option(names = "--sam", paramLabel = "RHO", description = "Sharpness-aware minimization (Foret et al. 2021) with"
            + " neighbourhood radius RHO around the optimizer (two forward/backward passes per step).")
    Double samRho;

    @Option(names = "--asam", description = "The adaptive variant of SAM (radius scaled by |w|).")
    boolean asam;

    @Option(names = "--jocor", description = "JoCoR (Wei et al. 2020): two networks, joint loss with co-regularization,"
            + " small-loss selection.")
    boolean jocor;

    @Option(names = "--jocor-lambda", description = "Weight of JoCoR's co-regularization (default 0.9).")
    Double jocorLambda;

    @Option(names = "--forget-rate", description = "JoCoR's final forget rate (default: the noise fraction).")
    Double forgetRate;

    @Option(names = "--forget-epochs", description = "Epochs over which JoCoR's forget rate rises (default 10).")
    Integer forgetEpochs;

    @Option(names = "--rho-loss", description = "RHO-LOSS selection (Mindermann et al. 2022): train on the examples of"
            + " highest reducible loss of each large batch (irreducible losses from two models trained on half the data).")
    boolean rhoLoss;

    @Option(names = "--rho-factor", description = "RHO-LOSS large batch = this many batches (default 10).")
    Integer rhoFactor;

    @Option(names = "--rho-il-epochs", description = "Epochs of the irreducible-loss models (default: the run's).")
    Integer rhoIlEpochs;

    @Option(names = "--dropout", paramLabel = "P", description = "Dropout probability after the hidden activations of"
            + " mlp and cnn (Arpit et al. 2017).")
    Double dropout;

    @Option(names = "--reinit", paramLabel = "GROUPS", description = "Layer groups to re-initialize during training,"
            + " comma-separated, bottom first (e.g. fc1,fc2).")
    String reinit;

    @Option(names = "--reinit-every", paramLabel = "EPOCHS", description = "Re-initialize after every EPOCHS epochs (default 5).")
    Integer reinitEvery;

    @Option(names = "--reinit-until", paramLabel = "EPOCH", description = "No re-initialization after EPOCH (default:"
            + " up to the second-to-last epoch).")
    Integer reinitUntil;

    @Option(names = "--reinit-order", paramLabel = "together|bottom-up", description = "Reset all groups each time, or"
            + " staged: the k-th reset keeps the k lowest groups and resets those above (default together).")
    String reinitOrder;

    /** Whether any option was given. */
    boolean any() {
        return loss != null || sceAlpha != null || sceBeta != null || samRho != null || asam || jocor || jocorLambda != null
                || forgetRate != null || forgetEpochs != null || rhoLoss || rhoFactor != null || rhoIlEpochs != null
                || dropout != null || reinit != null || reinitEvery != null || reinitUntil != null || reinitOrder != null;
    }

    /** {@code base} with the options given; JoCoR's forget rate defaults to {@code noiseFraction}. */
    TrainingMethods apply(TrainingMethods base, double noiseFraction) {
        if (asam && samRho == null) throw new UsageException("--asam needs --sam RHO");
        TrainingMethods.Builder b = base.toBuilder();
        if (loss != null) b.loss(loss.trim().toLowerCase(java.util.Locale.ROOT));
        if (sceAlpha != null || sceBeta != null) {
            b.sce(sceAlpha != null ? sceAlpha : base.sceAlpha(), sceBeta != null ? sceBeta : base.sceBeta());
            if (loss != null) b.loss(loss.trim().toLowerCase(java.util.Locale.ROOT));
        }
        if (samRho != null) b.sam(samRho, asam);
        if (jocor || jocorLambda != null || forgetRate != null || forgetEpochs != null) {
            b.jocor(jocor || base.jocor(), jocorLambda != null ? jocorLambda : base.jocorLambda(),
                    forgetRate != null ? forgetRate : noiseFraction, forgetEpochs != null ? forgetEpochs : base.jocorForgetEpochs());
        }
        if (rhoLoss || rhoFactor != null || rhoIlEpochs != null) {
            b.rhoLoss(rhoLoss || base.rhoLoss(), rhoFactor != null ? rhoFactor : base.rhoBatchFactor(),
                    rhoIlEpochs != null ? rhoIlEpochs : base.rhoIlEpochs());
        }
        if (dropout != null) b.dropout(dropout);
        if (reinit != null || reinitEvery != null || reinitUntil != null || reinitOrder != null) {
            b.reinit(reinit != null ? reinit : base.reinitLayers(), reinitEvery != null ? reinitEvery : base.reinitEvery(),
                    reinitUntil != null ? reinitUntil : base.reinitUntil(),
                    reinitOrder != null ? reinitOrder.trim().toLowerCase(java.util.Locale.ROOT) : base.reinitOrder());
        }
        return b.build();
    }
}
